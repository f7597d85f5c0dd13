import { MessageBus } from '@pipebus/core';
import { client, contractError, implement, type ContractClient } from '@pipebus/contract';
import { Inject, Service } from 'typedi';
import { Orders, type OrderPlaced, type PlaceOrder } from './orders-contract.js';

/** The regions the service delivers to. */
const SERVED = ['eu', 'us'];

/**
 * A service that receives the bus by injection: it does not know, and does
 * not care, whether the bus runs over a named pipe or the in-memory mock.
 */
@Service()
export class OrdersService {
  #nextId = 1000;
  /** The contract's client on the same bus: the service publishes its events through it. */
  readonly #orders: ContractClient<typeof Orders>;

  constructor(@Inject(() => MessageBus) private readonly bus: MessageBus) {
    this.#orders = client(bus, Orders);
  }

  /** Implements the orders contract on the bus; returns an unregister function. */
  register(): () => void {
    return implement(this.bus, Orders, { place: (order) => this.place(order) });
  }

  /**
   * Assigns an order an id and announces it on `<region>.placed`. The
   * contract has validated the order's shape before this runs.
   */
  async place(order: PlaceOrder): Promise<OrderPlaced> {
    if (!SERVED.includes(order.region)) throw contractError(Orders, 'place', 'REGION_NOT_SERVED', { region: order.region, served: SERVED });
    const placed: OrderPlaced = { orderId: this.#nextId++, ...order };
    await this.#orders.emit(`${order.region}.placed`, placed);
    return placed;
  }
}
