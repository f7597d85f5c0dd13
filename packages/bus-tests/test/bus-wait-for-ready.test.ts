import { afterEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom, Observable, toArray } from 'rxjs';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { flush, withoutAnnouncements } from './helpers.js';

// The `waitForReady` request option, over a mock pipe whose client reconnects:
// network.disconnect() parks it in 'reconnecting' until network.restore().

interface Setup {
  network: MockNetwork;
  server: MessageBus;
  client: MessageBus;
  clientTransport: MockTransport;
  /** Requests the server's handlers saw, in order. */
  handled: unknown[];
}

let open: MessageBus[] = [];
afterEach(async () => {
  await Promise.allSettled(open.map((bus) => bus.close()));
  open = [];
});

async function reconnectingPair(): Promise<Setup> {
  const network = new MockNetwork({ seed: 3 });
  const serverTransport = network.listen('svc');
  const clientTransport = network.connect('svc', { reconnect: true });
  const common = { clock: network.clock, logger: silentLogger, defaultTimeout: 1000 };
  const server = new MessageBus(serverTransport, { ...common, name: 'server' });
  const client = new MessageBus(clientTransport, { ...common, name: 'client' });
  open.push(client, server);
  const handled: unknown[] = [];
  server.handle('echo', (payload: unknown) => {
    handled.push(payload);
    return payload;
  });
  server.handle('count', (n: number) => new Observable<number>((s) => {
    for (let i = 1; i <= n; i++) s.next(i);
    s.complete();
  }));
  await server.start();
  await client.start();
  return { network, server, client, clientTransport, handled };
}

/** Cuts the link: the client goes 'reconnecting' and stays there until restore. */
async function cut(s: Setup): Promise<void> {
  await s.network.disconnect('svc');
  expect(s.clientTransport.state).toBe('reconnecting');
}

function failure(promise: Promise<unknown>): Promise<BusError> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error as BusError,
  );
}

describe('request({ waitForReady }) while the transport is reconnecting', () => {
  it('without it (the default), fails at once with TRANSPORT_CLOSED, as before', async () => {
    const s = await reconnectingPair();
    await cut(s);
    const error = await failure(s.client.request('echo', 1));
    expect(error.code).toBe('TRANSPORT_CLOSED');
    expect(s.network.clock.now()).toBe(0);
  });

  it('waits for the link to come back, then sends and resolves', async () => {
    const s = await reconnectingPair();
    await cut(s);
    let settled = false;
    const reply = s.client.request('echo', 'late', { waitForReady: true, timeout: 5000 });
    void reply.finally(() => (settled = true));
    await s.network.clock.advance(3000);
    expect(settled).toBe(false);
    expect(s.client.stats().pendingRequests).toBe(1);
    expect(s.handled).toEqual([]);
    await s.network.restore('svc');
    await expect(reply).resolves.toBe('late');
    expect(s.handled).toEqual(['late']);
  });

  it('sends the waiting requests in the order they were made', async () => {
    const s = await reconnectingPair();
    await cut(s);
    const replies = [1, 2, 3, 4, 5].map((n) => s.client.request('echo', n, { waitForReady: true }));
    await s.network.clock.advance(100);
    await s.network.restore('svc');
    await expect(Promise.all(replies)).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(s.handled).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails with TIMEOUT within its own timeout, saying it was still waiting for the transport, and sends nothing later', async () => {
    const s = await reconnectingPair();
    await cut(s);
    const error = failure(s.client.request('echo', 'never', { waitForReady: true, timeout: 250 }));
    await s.network.clock.advance(250);
    const e = await error;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toMatch(/'echo' was not sent within 250 ms: it waited \(waitForReady\) for the transport to open, and it is still 'reconnecting'/);
    expect(e.details).toMatchObject({ waitingForTransport: true });
    expect(s.client.stats().pendingRequests).toBe(0);
    s.network.clearTraffic();
    await s.network.restore('svc');
    await flush();
    // The timed-out request never leaves, nor does a cancel for it.
    expect(withoutAnnouncements(s.network.framesBetween(s.clientTransport.id, 'svc'))).toEqual([]);
    expect(s.handled).toEqual([]);
  });

  it('fails with CANCELLED when its signal aborts while it waits, and sends no cancel', async () => {
    const s = await reconnectingPair();
    await cut(s);
    const controller = new AbortController();
    const error = failure(s.client.request('echo', 1, { waitForReady: true, signal: controller.signal }));
    controller.abort();
    const e = await error;
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toContain("while it waited for the transport to open (state 'reconnecting'); it was never sent");
    s.network.clearTraffic();
    await s.network.restore('svc');
    await flush();
    expect(withoutAnnouncements(s.network.framesBetween(s.clientTransport.id, 'svc'))).toEqual([]);
  });

  it.each([
    ['the bus closes', (s: Awaited<ReturnType<typeof reconnectingPair>>) => s.client.close(), 'the bus'],
    ['the transport closes for good', (s: Awaited<ReturnType<typeof reconnectingPair>>) => s.clientTransport.close(), 'the transport closed'],
  ])('fails with TRANSPORT_CLOSED when %s while it waits', async (_what, closeIt, said) => {
    const s = await reconnectingPair();
    await cut(s);
    let settled = false;
    const error = failure(s.client.request('echo', 1, { waitForReady: true, timeout: Infinity }));
    void error.finally(() => (settled = true));
    await s.network.clock.advance(100);
    expect(settled).toBe(false);
    await closeIt(s);
    const e = await error;
    expect(e.code).toBe('TRANSPORT_CLOSED');
    expect(e.message).toContain(said);
  });

  it('does not resend a request already sent when the link was lost (it fails TRANSPORT_CLOSED), while one made after waits', async () => {
    const s = await reconnectingPair();
    s.server.handle('slow', () => new Promise(() => {}));
    const inFlight = failure(s.client.request('slow', 1, { waitForReady: true }));
    await flush();
    await cut(s);
    const after = s.client.request('echo', 2, { waitForReady: true });
    expect((await inFlight).code).toBe('TRANSPORT_CLOSED');
    await s.network.clock.advance(100);
    await s.network.restore('svc');
    await expect(after).resolves.toBe(2);
  });

  it('applies to request$ too: a stream requested while reconnecting runs once the link is back', async () => {
    const s = await reconnectingPair();
    await cut(s);
    const values = firstValueFrom(s.client.request$<number>('count', 3, { waitForReady: true }).pipe(toArray()));
    await s.network.clock.advance(100);
    await s.network.restore('svc');
    await expect(values).resolves.toEqual([1, 2, 3]);
  });

  it('keeps no entry for a waiting request once it settled: a long outage with many timeouts holds nothing', async () => {
    const s = await reconnectingPair();
    await cut(s);
    const errors = Array.from({ length: 200 }, (_, i) => failure(s.client.request('echo', i, { waitForReady: true, timeout: 10 })));
    expect(s.client.stats().pendingRequests).toBe(200);
    await s.network.clock.advance(10);
    expect((await Promise.all(errors)).every((e) => e.code === 'TIMEOUT')).toBe(true);
    expect(s.client.stats().pendingRequests).toBe(0);
    const last = s.client.request('echo', 'after', { waitForReady: true });
    await s.network.restore('svc');
    await expect(last).resolves.toBe('after');
    expect(s.handled).toEqual(['after']);
  });

  it('refuses a waitForReady that is not a boolean, naming it', async () => {
    const s = await reconnectingPair();
    const e = await failure(s.client.request('echo', 1, { waitForReady: 'yes' as unknown as boolean }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain("request('echo'): waitForReady must be true or false, got");
  });
});

describe('request({ waitForReady }) while the transport is still connecting', () => {
  it('waits for the first connection, then sends', async () => {
    const network = new MockNetwork({ seed: 4 });
    const clientTransport = network.connect('late', { waitMs: 5000 });
    const client = new MessageBus(clientTransport, { clock: network.clock, logger: silentLogger });
    open.push(client);
    const reply = client.request('echo', 'first', { waitForReady: true });
    await network.clock.advance(1000);
    expect(clientTransport.state).toBe('connecting');
    const server = new MessageBus(network.listen('late'), { clock: network.clock, logger: silentLogger });
    open.push(server);
    server.handle('echo', (p: unknown) => p);
    await server.start();
    await expect(reply).resolves.toBe('first');
  });
});

describe('a request that settles before the first connection opens', () => {
  async function lateServer(network: MockNetwork, handled: unknown[]): Promise<void> {
    const server = new MessageBus(network.listen('late'), { clock: network.clock, logger: silentLogger });
    open.push(server);
    server.handle('echo', (p: unknown) => {
      handled.push(p);
      return p;
    });
    await server.start();
    await network.clock.advance(1000);
    await flush();
  }

  for (const waitForReady of [false, true]) {
    it(`is never sent once it timed out (waitForReady ${waitForReady}): its handler does not run`, async () => {
      const network = new MockNetwork({ seed: 5 });
      const client = new MessageBus(network.connect('late', { waitMs: 10_000 }), { clock: network.clock, logger: silentLogger });
      open.push(client);
      const reply = failure(client.request('echo', 'stale', { timeout: 500, waitForReady }));
      await network.clock.advance(1000);
      expect((await reply).code).toBe('TIMEOUT');
      const handled: unknown[] = [];
      await lateServer(network, handled);
      expect(handled).toEqual([]);
    });

    it(`is never sent once it was cancelled (waitForReady ${waitForReady}): its handler does not run`, async () => {
      const network = new MockNetwork({ seed: 6 });
      const client = new MessageBus(network.connect('late', { waitMs: 10_000 }), { clock: network.clock, logger: silentLogger });
      open.push(client);
      const controller = new AbortController();
      const reply = failure(client.request('echo', 'stale', { signal: controller.signal, waitForReady }));
      await network.clock.advance(100);
      controller.abort();
      expect((await reply).code).toBe('CANCELLED');
      const handled: unknown[] = [];
      await lateServer(network, handled);
      expect(handled).toEqual([]);
    });
  }
});
