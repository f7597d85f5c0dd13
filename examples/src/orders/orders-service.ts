import { BusError, MessageBus } from '@pipebus/core';
import { Inject, Service } from 'typedi';

/** What a caller sends to place an order. */
export interface PlaceOrder {
  item: string;
  quantity: number;
  region: string;
}

/** What the service answers. */
export interface OrderPlaced {
  orderId: number;
  item: string;
  quantity: number;
  region: string;
}

/**
 * A service that receives the bus by injection: it does not know, and does
 * not care, whether the bus runs over a named pipe or the in-memory mock.
 */
@Service()
export class OrdersService {
  #nextId = 1000;

  constructor(@Inject(() => MessageBus) private readonly bus: MessageBus) {}

  /** Registers the service's methods on the bus; returns an unregister function. */
  register(): () => void {
    return this.bus.handle<PlaceOrder, OrderPlaced>('orders.place', (order) => this.place(order));
  }

  /** Validates an order, assigns it an id and announces it on `orders.<region>.placed`. */
  async place(order: PlaceOrder): Promise<OrderPlaced> {
    if (typeof order?.item !== 'string' || order.item.length === 0) {
      throw new BusError('INVALID_ARGUMENT', 'an order needs an item name');
    }
    if (!Number.isInteger(order.quantity) || order.quantity <= 0) {
      throw new BusError('INVALID_ARGUMENT', `quantity must be a positive integer, got ${String(order.quantity)}`);
    }
    if (!/^[a-z]+$/.test(order.region ?? '')) {
      throw new BusError('INVALID_ARGUMENT', `region must be lower-case letters, got ${String(order.region)}`);
    }
    const placed: OrderPlaced = { orderId: this.#nextId++, item: order.item, quantity: order.quantity, region: order.region };
    await this.bus.publish(`orders.${order.region}.placed`, placed);
    return placed;
  }
}
