/**
 * A microservice in its own process: it serves `inventory.*` requests on a
 * named pipe and announces stock changes as events. Start it alone with
 * `node examples/dist/microservice/inventory-service.js pipe://inventory`.
 */
import { BusError, MessageBus } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { Observable } from 'rxjs';
import { serveUntilSignalled } from '../serve-until-signalled.js';

const address = process.argv[2] ?? 'pipe://inventory';
const stock = new Map<string, number>([
  ['tea', 10],
  ['coffee', 3],
]);

const bus = new MessageBus(new NamedPipeServer({ address }), { name: 'inventory', relay: true });

bus.handle('inventory.stock', (item: string) => {
  const count = stock.get(item);
  if (count === undefined) throw new BusError('NOT_FOUND', `no item '${item}' in the inventory`);
  return { item, count };
});

bus.handle('inventory.reserve', async ({ item, quantity }: { item: string; quantity: number }, ctx) => {
  const count = stock.get(item) ?? 0;
  if (count < quantity) throw new BusError('INVALID_ARGUMENT', `only ${count} ${item} left, ${quantity} asked`);
  stock.set(item, count - quantity);
  console.log(`reserved ${quantity} ${item} for pid ${ctx.peer.pid ?? '?'}; ${count - quantity} left`);
  await bus.publish(`inventory.${item}.changed`, { item, count: count - quantity });
  return { item, reserved: quantity, left: count - quantity };
});

// A streamed response: one line per item, as a report would be.
bus.handle('inventory.report', () => new Observable<{ item: string; count: number }>((s) => {
  for (const [item, count] of stock) s.next({ item, count });
  s.complete();
}));

await serveUntilSignalled(bus);
