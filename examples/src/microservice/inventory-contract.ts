/**
 * The inventory service's contract, imported by the service and by its
 * clients: one definition types both sides and is checked at the boundary.
 * zod where a check earns its keep (what callers send, what subscribers
 * receive); `typed<T>()` where the type is enough (errors the service
 * itself makes).
 */
import { contract, event, rpc, stream, typed } from '@pipebus/contract';
import { z } from 'zod';

const Stock = z.object({ item: z.string(), count: z.number().int().nonnegative() });
/** One item's stock. */
export type Stock = z.infer<typeof Stock>;

export const Inventory = contract('inventory', { version: '1.0.0' }, {
  stock: rpc({ input: z.string().min(1), output: Stock, errors: { UNKNOWN_ITEM: typed<{ item: string }>() } }),
  reserve: rpc({
    input: z.object({ item: z.string().min(1), quantity: z.number().int().positive() }),
    output: z.object({ item: z.string(), reserved: z.number(), left: z.number() }),
    errors: { OUT_OF_STOCK: typed<{ item: string; left: number }>() },
  }),
  report: stream({ output: Stock }), // a streamed response: one value per item
  'stock.*.changed': event({ payload: Stock }), // the item is the topic's middle token
});
