import { afterEach, describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { thrown as thrownBy } from '@pipebus/test-support';
import { MockNetwork } from '@pipebus/transport-mock';
import type { BusPair } from './helpers.js';
import { busPair } from './helpers.js';

// handle() where no request can ever arrive fails at once instead of
// registering a handler that never runs (issue 15), and a throwing handler's
// remote code is the documented one.

let pair: BusPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const thrown = (fn: () => unknown): BusError => thrownBy(fn, BusError);

describe('handle() where no request can arrive', () => {
  it('throws TRANSPORT_CLOSED on a closed bus', async () => {
    pair = await busPair();
    await pair.server.close();
    const error = thrown(() => pair!.server.handle('late', () => 1));
    expect(error.code).toBe('TRANSPORT_CLOSED');
    expect(error.message).toMatch(/this bus is closed; register handlers on a new MessageBus/);
  });

  it('throws NOT_SUPPORTED on a one-way (mailslot) transport, pointing at subscribe()', async () => {
    const network = new MockNetwork({ seed: 1 });
    const bus = new MessageBus(network.join('group'), { clock: network.clock, logger: silentLogger });
    const error = thrown(() => bus.handle('orders.get', () => 1));
    expect(error.code).toBe('NOT_SUPPORTED');
    expect(error.message).toMatch(/one-way .* use subscribe\(\)/);
    await bus.close();
  });
});

describe('a throwing handler', () => {
  it("reaches the caller as REMOTE_ERROR with remoteCode 'HANDLER_ERROR', or the BusError's own code", async () => {
    pair = await busPair();
    pair.server.handle('plain', () => {
      throw new Error('boom');
    });
    pair.server.handle('coded', () => {
      throw new BusError('NOT_FOUND', 'no such order');
    });
    await expect(pair.client.request('plain', null)).rejects.toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'HANDLER_ERROR' });
    await expect(pair.client.request('coded', null)).rejects.toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'NOT_FOUND' });
  });
});
