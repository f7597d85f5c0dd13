/**
 * The orders service's contract: the service implements it, callers (and
 * the unit test) get a typed client from it.
 */
import { contract, event, rpc, typed } from '@pipebus/contract';
import { z } from 'zod';

const PlaceOrder = z.object({
  item: z.string().min(1),
  quantity: z.number().int().positive(),
  region: z.string().regex(/^[a-z]+$/, 'lower-case letters'),
});
/** What a caller sends to place an order. */
export type PlaceOrder = z.infer<typeof PlaceOrder>;

/** What the service answers, and announces. */
export interface OrderPlaced {
  orderId: number;
  item: string;
  quantity: number;
  region: string;
}

export const Orders = contract('orders', { version: '1.0.0' }, {
  place: rpc({ input: PlaceOrder, output: typed<OrderPlaced>(), errors: { REGION_NOT_SERVED: typed<{ region: string; served: string[] }>() } }),
  '*.placed': event({ payload: typed<OrderPlaced>() }), // one topic per region: 'eu.placed'
});
