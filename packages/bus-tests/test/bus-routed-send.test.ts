import { describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { Kind } from '@pipebus/core/transport-kit';
import { routedLoop } from '../src/index.js';
import { busPair } from './helpers.js';

const opts = { logger: silentLogger };

async function pair(capabilities = {}) {
  const [ct, st] = routedLoop(capabilities);
  const server = new MessageBus(st, { ...opts, name: 'server' });
  const client = new MessageBus(ct, { ...opts, name: 'client' });
  await server.start();
  await client.start();
  return { ct, st, server, client, close: async () => (await client.close(), await server.close()) };
}

describe('a bus over a routed transport (capabilities.routed)', () => {
  it('sends every message through sendRouted with its kind, id and name', async () => {
    const p = await pair();
    p.server.handle('orders.get', (n: number) => n * 2);
    await expect(p.client.request('orders.get', 21)).resolves.toBe(42);
    await p.client.publish('orders.created', { id: 1 });
    const [request] = p.ct.routes;
    expect(request).toEqual({ kind: Kind.Request, id: expect.any(Number), name: 'orders.get' });
    expect(p.ct.routes[1]).toEqual({ kind: Kind.Event, id: 0, name: 'orders.created' });
    // The answer goes back to the caller, routed by the same id and name.
    expect(p.st.routes).toEqual([{ kind: Kind.Response, id: request!.id, name: 'orders.get', to: 'client' }]);
    expect(p.ct.plainSends + p.st.plainSends).toBe(0);
    await p.close();
  });

  it('routes each fragment of a large message by its message (the transport never reads a frame)', async () => {
    const p = await pair({ maxFrameSize: 256 });
    p.server.handle('blob.echo', (s: string) => s.length);
    const big = 'x'.repeat(5000);
    await expect(p.client.request('blob.echo', big)).resolves.toBe(5000);
    expect(p.ct.routes.length).toBeGreaterThan(10);
    const id = p.ct.routes[0]!.id;
    for (const route of p.ct.routes) expect(route).toEqual({ kind: Kind.Request, id, name: 'blob.echo' });
    expect(p.ct.plainSends).toBe(0);
    await p.close();
  });

  it('refuses relay: true at construction with NOT_SUPPORTED, saying to drop it', () => {
    const [, st] = routedLoop();
    let thrown: unknown;
    try {
      new MessageBus(st, { ...opts, relay: true });
    } catch (error) {
      thrown = error;
    }
    expect(BusError.is(thrown, 'NOT_SUPPORTED')).toBe(true);
    expect((thrown as BusError).message).toMatch(/relay: true is not possible on a routed transport.*drop the relay option/);
  });

  it('keeps plain send() on a transport that is not routed', async () => {
    const p = await busPair({ relay: true });
    let routed = 0;
    const original = p.clientTransport.sendRouted.bind(p.clientTransport);
    p.clientTransport.sendRouted = (...args) => (routed++, original(...args));
    p.server.handle('m', () => 1);
    const answer = p.client.request('m');
    await expect(answer).resolves.toBe(1);
    expect(routed).toBe(0);
    await p.close();
  });
});
