import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { client, isContractError, type ContractClient } from '@pipebus/contract';
import { MessageBus, silentLogger } from '@pipebus/core';
import { BUS_OPTIONS, TRANSPORT } from '@pipebus/core/di';
import { MockNetwork } from '@pipebus/transport-mock';
import { firstValueFrom } from 'rxjs';
import { Container } from 'typedi';
import { Orders } from '../src/orders/orders-contract.js';
import { OrdersService } from '../src/orders/orders-service.js';

// The unit test of a service that uses pipebus: the production code would
// register a named-pipe transport; the test swaps in the mock with one line,
// and calls the service through its contract, as a real caller does.
describe('OrdersService', () => {
  let network: MockNetwork;
  let caller: MessageBus;
  let orders: ContractClient<typeof Orders>;

  beforeEach(async () => {
    network = new MockNetwork();
    Container.set(TRANSPORT, network.listen('orders'));
    Container.set(BUS_OPTIONS, { clock: network.clock, logger: silentLogger });
    Container.get(OrdersService).register();
    await Container.get(MessageBus).start();
    caller = new MessageBus(network.connect('orders'), { clock: network.clock, logger: silentLogger });
    orders = client(caller, Orders);
  });

  afterEach(async () => {
    await caller.close();
    await Container.get(MessageBus).close();
    Container.reset();
  });

  it('places an order and answers with its id', async () => {
    await expect(orders.place({ item: 'tea', quantity: 2, region: 'eu' })).resolves.toEqual({ orderId: 1000, item: 'tea', quantity: 2, region: 'eu' });
  });

  it('announces each placed order on <region>.placed', async () => {
    const announced = firstValueFrom(orders.on('*.placed'));
    await orders.place({ item: 'tea', quantity: 1, region: 'us' });
    expect(await announced).toMatchObject({ topic: 'us.placed', payload: { item: 'tea', region: 'us' } });
  });

  it('refuses a malformed order before the service runs: INVALID_ARGUMENT naming the field', async () => {
    await expect(orders.place({ item: 'tea', quantity: 0, region: 'eu' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { issues: [{ path: 'quantity' }] },
    });
  });

  it('refuses a region it does not serve with the declared, typed error', async () => {
    const error = await orders.place({ item: 'tea', quantity: 1, region: 'mars' }).catch((e: unknown) => e);
    if (!isContractError(error, Orders, 'place', 'REGION_NOT_SERVED')) throw new Error(`not REGION_NOT_SERVED: ${String(error)}`);
    expect(error.data).toEqual({ region: 'mars', served: ['eu', 'us'] });
  });
});
