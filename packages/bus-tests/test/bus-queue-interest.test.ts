import { describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { routedLoop } from '../src/index.js';
import { busPair } from './helpers.js';

const opts = { logger: silentLogger };

function thrown(fn: () => unknown): BusError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BusError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('handle() and subscribe() on a routed transport declare interests', () => {
  it('handle() declares its method (with its queue) before start, and withdraws it with the handler', async () => {
    const [ct, st] = routedLoop();
    const server = new MessageBus(st, opts);
    const client = new MessageBus(ct, opts);
    const stopGet = server.handle('orders.get', () => 'got');
    const stopPut = server.handle('orders.put', () => 'put', { queue: 'workers' });
    expect(st.interests).toEqual(['method orders.get', 'method orders.put [workers]']);
    await server.start();
    await expect(client.request('orders.put')).resolves.toBe('put');
    stopPut();
    stopPut();
    expect(st.interests).toEqual(['method orders.get']);
    stopGet();
    expect(st.interests).toEqual([]);
    await client.close();
    await server.close();
  });

  it('a method the transport refuses to declare leaves no handler behind', () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, opts);
    st.interest = () => {
      throw new BusError('INVALID_ARGUMENT', 'NATS subjects cannot contain spaces; rename the method');
    };
    expect(thrown(() => bus.handle('bad name', () => 1)).code).toBe('INVALID_ARGUMENT');
    delete (st as { interest?: unknown }).interest; // back to the prototype's
    expect(() => bus.handle('bad name', () => 1)).not.toThrow();
  });

  it('subscribe() declares one interest per distinct (pattern, queue), shared and withdrawn with the last subscriber', async () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, opts);
    const a1 = bus.subscribe('orders.*').subscribe();
    const a2 = bus.subscribe('orders.*').subscribe();
    const q1 = bus.subscribe('orders.*', { queue: 'g' }).subscribe();
    const q2 = bus.subscribe('orders.*', { queue: 'g' }).subscribe();
    const h = bus.subscribe('orders.*', { queue: 'h' }).subscribe();
    expect(st.declared).toBe(3);
    expect(st.interests).toEqual(['topic orders.*', 'topic orders.* [g]', 'topic orders.* [h]']);
    a1.unsubscribe();
    q1.unsubscribe();
    expect(st.interests).toHaveLength(3);
    a2.unsubscribe();
    q2.unsubscribe();
    expect(st.interests).toEqual(['topic orders.* [h]']);
    // Declared again by the next subscriber after the last one left.
    const again = bus.subscribe('orders.*').subscribe();
    expect(st.declared).toBe(4);
    again.unsubscribe();
    h.unsubscribe();
    expect(st.interests).toEqual([]);
    await bus.close();
  });

  it('closing the bus withdraws every subscription interest', async () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, opts);
    bus.subscribe('a.>').subscribe();
    bus.subscribe('b', { queue: 'g' }).subscribe();
    expect(st.interests).toHaveLength(2);
    await bus.close();
    expect(st.interests).toEqual([]);
  });

  it('rejects a malformed queue with INVALID_ARGUMENT', () => {
    const [, st] = routedLoop();
    const bus = new MessageBus(st, opts);
    expect(thrown(() => bus.handle('m', () => 1, { queue: '' })).message).toMatch(/handle\('m'\): queue must be a non-empty string/);
    expect(thrown(() => bus.subscribe('t', { queue: 5 as unknown as string })).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => bus.subscribe('t', { queu: 'g' } as { queue?: string })).message).toMatch(/did you mean 'queue'/);
    expect(st.declared).toBe(0);
  });
});

describe('queue groups elsewhere', () => {
  it('are NOT_SUPPORTED on a transport that is not routed, saying which transport has them', async () => {
    const p = await busPair();
    const onHandle = thrown(() => p.server.handle('orders.get', () => 1, { queue: 'workers' }));
    expect(onHandle.code).toBe('NOT_SUPPORTED');
    expect(onHandle.message).toMatch(/^handle\('orders.get'\): queue groups need a transport that load-balances, such as transport-nats/);
    const onSubscribe = thrown(() => p.client.subscribe('orders.*', { queue: 'workers' }));
    expect(onSubscribe.code).toBe('NOT_SUPPORTED');
    expect(onSubscribe.message).toMatch(/drop the queue option/);
    // Nothing was registered: the method is still free, and plain use goes on as before.
    p.server.handle('orders.get', () => 2);
    await expect(p.client.request('orders.get')).resolves.toBe(2);
    await p.close();
  });
});
