import { afterEach, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { client, implement } from '@pipebus/contract';
import { MockNetwork } from '@pipebus/transport-mock';
import { thrown } from '@pipebus/test-support';
import { firstValueFrom, take, toArray } from 'rxjs';
import { inventory, valibotSchemas } from './fixtures/inventory.js';

// A contract's events over a one-way broadcast (the mock's mailslot profile):
// emit and on work as over a pipe; implement, which needs requests, refuses
// as bus.handle does.
const buses: MessageBus[] = [];
afterEach(async () => {
  await Promise.allSettled(buses.splice(0).map((bus) => bus.close()));
});

it('carries typed events over a mailslot group, and refuses to implement methods there', async () => {
  const network = new MockNetwork({ seed: 1 });
  const Inv = inventory(valibotSchemas);
  const listener = new MessageBus(network.join('group'), { clock: network.clock, logger: silentLogger });
  const publisher = new MessageBus(network.join('group'), { clock: network.clock, logger: silentLogger, localDelivery: false });
  buses.push(listener, publisher);
  await listener.start();
  await publisher.start();
  const received = firstValueFrom(client(listener, Inv, { logger: silentLogger }).on('stock.eu.changed').pipe(take(1), toArray()));
  await client(publisher, Inv, { validateInput: true }).emit('stock.eu.changed', { sku: 'A', qty: 2 });
  expect((await received).map((e) => [e.topic, e.payload])).toEqual([['stock.eu.changed', { sku: 'A', qty: 2 }]]);
  const error = thrown(() => implement(listener, Inv, { reserve: async () => ({ id: 'x' }), watch: async (sym) => ({ sym, price: 1 }), ping: (s) => s.length }), BusError);
  expect(error.code).toBe('NOT_SUPPORTED');
});
