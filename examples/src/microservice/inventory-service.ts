/**
 * A microservice in its own process: it implements the inventory contract
 * on a named pipe (or NATS) and announces stock changes as events. Start it
 * alone with `node examples/dist/microservice/inventory-service.js pipe://inventory`
 * (or `nats://127.0.0.1:4222`).
 */
import { MessageBus } from '@pipebus/core';
import { client, contractError, implement } from '@pipebus/contract';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { NatsTransport } from '@pipebus/transport-nats';
import { from } from 'rxjs';
import { serveUntilSignalled } from '../serve-until-signalled.js';
import { Inventory } from './inventory-contract.js';

const address = process.argv[2] ?? 'pipe://inventory';
const stock = new Map<string, number>([
  ['tea', 10],
  ['coffee', 3],
]);

// The one line that differs between a machine's named pipe and NATS across machines; the rest is the same.
// (No relay over NATS: the server fans events out itself, and a routed bus refuses relay.)
const bus = address.startsWith('nats://')
  ? new MessageBus(new NatsTransport({ servers: address }), { name: 'inventory' })
  : new MessageBus(new NamedPipeServer({ address }), { name: 'inventory', relay: true });
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
    // A pipe names the caller's process (checked by the kernel); NATS only its self-declared peer id.
    console.log(`reserved ${quantity} ${item} for ${ctx.peer.pid !== undefined ? `pid ${ctx.peer.pid}` : `peer ${ctx.peer.id}`}; ${left - quantity} left`);
    await events.emit(`stock.${item}.changed`, { item, count: left - quantity });
    return { item, reserved: quantity, left: left - quantity };
  },
  report: () => from([...stock].map(([item, count]) => ({ item, count }))),
});

await serveUntilSignalled(bus, address.startsWith('nats://') ? address : undefined);
