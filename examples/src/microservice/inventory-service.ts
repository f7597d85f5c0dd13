/**
 * A microservice in its own process: it implements the inventory contract
 * on a named pipe and announces stock changes as events. Start it alone with
 * `node examples/dist/microservice/inventory-service.js pipe://inventory`.
 */
import { MessageBus } from '@pipebus/core';
import { client, contractError, implement } from '@pipebus/contract';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { from } from 'rxjs';
import { serveUntilSignalled } from '../serve-until-signalled.js';
import { Inventory } from './inventory-contract.js';

const address = process.argv[2] ?? 'pipe://inventory';
const stock = new Map<string, number>([
  ['tea', 10],
  ['coffee', 3],
]);

const bus = new MessageBus(new NamedPipeServer({ address }), { name: 'inventory', relay: true });
const events = client(bus, Inventory); // the service publishes its own events through the contract too

implement(bus, Inventory, {
  // Input arrives validated: a caller that sends a number or '' gets INVALID_ARGUMENT, this never runs.
  stock: (item) => {
    const count = stock.get(item);
    if (count === undefined) throw contractError(Inventory, 'stock', 'UNKNOWN_ITEM', { item });
    return { item, count };
  },
  reserve: async ({ item, quantity }, ctx) => {
    const left = stock.get(item) ?? 0;
    if (left < quantity) throw contractError(Inventory, 'reserve', 'OUT_OF_STOCK', { item, left }, `only ${left} ${item} left, ${quantity} asked`);
    stock.set(item, left - quantity);
    console.log(`reserved ${quantity} ${item} for pid ${ctx.peer.pid ?? '?'}; ${left - quantity} left`);
    await events.emit(`stock.${item}.changed`, { item, count: left - quantity });
    return { item, reserved: quantity, left: left - quantity };
  },
  report: () => from([...stock].map(([item, count]) => ({ item, count }))),
});

await serveUntilSignalled(bus);
