import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MessageBus, silentLogger } from '@pipebus/core';
import { BUS_OPTIONS, TRANSPORT } from '@pipebus/core/di';
import { MockNetwork } from '@pipebus/transport-mock';
import { firstValueFrom } from 'rxjs';
import { Container } from 'typedi';
import { OrdersService } from '../src/orders/orders-service.js';

// The unit test of a service that uses pipebus: the production code would
// register a named-pipe transport; the test swaps in the mock with one line.
describe('OrdersService', () => {
  let network: MockNetwork;
  let caller: MessageBus;

  beforeEach(async () => {
    network = new MockNetwork();
    Container.set(TRANSPORT, network.listen('orders'));
    Container.set(BUS_OPTIONS, { clock: network.clock, logger: silentLogger });
    Container.get(OrdersService).register();
    await Container.get(MessageBus).start();
    caller = new MessageBus(network.connect('orders'), { clock: network.clock, logger: silentLogger });
  });

  afterEach(async () => {
    await caller.close();
    await Container.get(MessageBus).close();
    Container.reset();
  });

  it('places an order and answers with its id', async () => {
    const placed = await caller.request('orders.place', { item: 'tea', quantity: 2, region: 'eu' });
    expect(placed).toEqual({ orderId: 1000, item: 'tea', quantity: 2, region: 'eu' });
  });

  it('announces each placed order on orders.<region>.placed', async () => {
    const announced = firstValueFrom(caller.subscribe('orders.*.placed'));
    await caller.request('orders.place', { item: 'tea', quantity: 1, region: 'us' });
    expect((await announced).topic).toBe('orders.us.placed');
  });

  it('refuses a bad order with the reason, as REMOTE_ERROR for the caller', async () => {
    await expect(caller.request('orders.place', { item: 'tea', quantity: 0, region: 'eu' })).rejects.toMatchObject({
      code: 'REMOTE_ERROR',
      remoteCode: 'INVALID_ARGUMENT',
    });
  });
});
