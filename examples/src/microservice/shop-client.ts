/**
 * A client process: calls the inventory service through its contract, the
 * way one local microservice calls another, and prints what it gets.
 */
import { BusError, MessageBus } from '@pipebus/core';
import { client, isContractError } from '@pipebus/contract';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { NatsTransport } from '@pipebus/transport-nats';
import { lastValueFrom, toArray } from 'rxjs';
import { Inventory } from './inventory-contract.js';

const address = process.argv[2] ?? 'pipe://inventory';
// The one line that differs between a named pipe and NATS. connectTimeout: wait for the service if it
// is still starting (WaitNamedPipe semantics); on NATS the server is what the client connects to.
const bus = address.startsWith('nats://')
  ? new MessageBus(new NatsTransport({ servers: address }), { name: 'shop' })
  : new MessageBus(new NamedPipeClient({ address, connectTimeout: 5000 }), { name: 'shop' });
const inventory = client(bus, Inventory);

const changes: string[] = [];
inventory.on('stock.*.changed').subscribe(({ topic, payload }) => changes.push(`${topic} -> ${payload.count}`));

const show = (what: string, value: unknown): void => console.log(`${what.padEnd(40)} ${JSON.stringify(value)}`);
show("stock('tea')", await inventory.stock('tea'));
show("reserve({ item: 'tea', quantity: 2 })", await inventory.reserve({ item: 'tea', quantity: 2 }));
show('report()', await lastValueFrom(inventory.report().pipe(toArray())));

// Declared errors arrive typed: isContractError narrows `data` to what the contract declares.
try {
  await inventory.reserve({ item: 'coffee', quantity: 5 });
} catch (error) {
  if (!isContractError(error, Inventory, 'reserve', 'OUT_OF_STOCK')) throw error;
  show('refused: OUT_OF_STOCK', `${error.data.left} ${error.data.item} left`);
}
try {
  await inventory.stock('milk');
} catch (error) {
  if (!isContractError(error, Inventory, 'stock', 'UNKNOWN_ITEM')) throw error;
  show('refused: UNKNOWN_ITEM', error.data.item);
}
// Input the contract refuses never reaches the handler: INVALID_ARGUMENT names the field.
try {
  await inventory.reserve({ item: 'tea', quantity: 0 });
} catch (error) {
  if (!BusError.is(error, 'INVALID_ARGUMENT')) throw error;
  show('refused: INVALID_ARGUMENT', error.details?.issues);
}
show('ping', `${(await bus.ping()).toFixed(3)} ms`);
show("events seen on 'stock.*.changed'", changes);
await bus.close();
