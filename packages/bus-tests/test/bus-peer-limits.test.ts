import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { Observable } from 'rxjs';
import { BusError, MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { Kind, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { HandlerContext, MessageBusOptions } from '@pipebus/core';
import { busPair, flush } from './helpers.js';
import type { BusPair } from './helpers.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

/** A server bus and a raw client transport that sends hand-built frames. */
async function serverAndRogue(options: MessageBusOptions = {}): Promise<{ server: MessageBus; rogue: MockTransport; transport: MockTransport }> {
  const network = new MockNetwork({ seed: 1 });
  const transport = network.listen('svc');
  const server = new MessageBus(transport, { clock: network.clock, logger: silentLogger, ...options });
  await server.start();
  const rogue = network.connect('svc');
  await rogue.start();
  cleanup.push(async () => {
    await rogue.close();
    await server.close();
  });
  return { server, rogue, transport };
}

function request(id: number, name: string): Uint8Array {
  return encodeMessageFrame({ kind: Kind.Request, id, name, payload: null, headers: undefined }, msgpackCodec);
}

/** Counts handlers started and handlers whose signal was aborted. */
function counting(): { started: number; aborted: number; watch(ctx: HandlerContext): void } {
  const c = {
    started: 0,
    aborted: 0,
    watch(ctx: HandlerContext) {
      c.started++;
      ctx.signal.addEventListener('abort', () => c.aborted++);
    },
  };
  return c;
}

describe('a reused request id', () => {
  it('leaves no handler running after 10,000 requests with one id and a disconnect', async () => {
    const { server, rogue } = await serverAndRogue();
    const c = counting();
    server.handle('slow', (_: unknown, ctx) => {
      c.watch(ctx);
      return new Promise(() => {});
    });
    const frame = request(7, 'slow');
    await Promise.allSettled(Array.from({ length: 10_000 }, () => rogue.send(frame)));
    await flush();
    await rogue.close();
    await flush();
    expect(c.started - c.aborted).toBe(0);
    expect(server.stats().activeHandlers).toBe(0);
    // The second request with id 7 already dropped the peer: the rest never ran.
    expect(c.started).toBe(1);
    expect(server.stats().peersDropped).toBe(1);
  });

  it('leaves no stream emitting after 100 stream requests with one id and a disconnect', async () => {
    const { server, rogue } = await serverAndRogue();
    let live = 0;
    const ticks: Array<(n: number) => void> = [];
    server.handle('ticks', () => new Observable<number>((subscriber) => {
      live++;
      ticks.push((n) => subscriber.next(n));
      return () => live--;
    }));
    const frame = request(7, 'ticks');
    await Promise.allSettled(Array.from({ length: 100 }, () => rogue.send(frame)));
    await flush();
    await rogue.close();
    await flush();
    expect(live).toBe(0);
    const sent = server.stats().framesOut;
    for (const tick of ticks) tick(1);
    await flush();
    expect(server.stats().framesOut).toBe(sent);
  });

  it('is refused before a synchronous handler runs, and before a Promise handler runs', async () => {
    const { server, rogue } = await serverAndRogue();
    let syncCalls = 0;
    let asyncCalls = 0;
    server.handle('slow', () => new Promise(() => {}));
    server.handle('sync', () => ++syncCalls);
    server.handle('async', async () => ++asyncCalls);
    await rogue.send(request(3, 'slow'));
    await flush();
    await rogue.send(request(3, 'sync')).catch(() => {});
    await rogue.send(request(3, 'async')).catch(() => {});
    await flush();
    expect(syncCalls).toBe(0);
    expect(asyncCalls).toBe(0);
    expect(server.stats().peersDropped).toBe(1);
  });

  it('does not touch an honest caller that uses ids one after another', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    pair.server.handle('echo', async (n: number) => n);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => pair.client.request('echo', i)));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pair.server.stats()).toMatchObject({ peersDropped: 0, activeHandlers: 0 });
  });
});

describe('maxActiveHandlersPerPeer', () => {
  it('answers the request beyond the cap with BUSY at once, without running its handler', async () => {
    const pair: BusPair = await busPair({ maxActiveHandlersPerPeer: 4 });
    cleanup.push(() => pair.close());
    let started = 0;
    const release: Array<() => void> = [];
    pair.server.handle('slow', () => {
      started++;
      return new Promise<string>((resolve) => release.push(() => resolve('done')));
    });
    const first = Array.from({ length: 4 }, () => pair.client.request('slow'));
    const fifth = pair.client.request('slow').catch((e: unknown) => e);
    const error = (await fifth) as BusError;
    expect(BusError.is(error, 'BUSY')).toBe(true);
    expect(error.message).toContain('maxActiveHandlersPerPeer');
    expect(started).toBe(4);
    expect(pair.server.stats()).toMatchObject({ activeHandlers: 4, requestsBusy: 1 });
    // No virtual time passed: BUSY was an answer, not a timeout.
    expect(pair.network.clock.now()).toBe(0);

    // A slot freed is a slot usable again.
    release.shift()!();
    await expect(first[0]).resolves.toBe('done');
    const again = pair.client.request('slow');
    await flush();
    expect(started).toBe(5);
    for (const r of release.splice(0)) r();
    await expect(Promise.all([...first.slice(1), again])).resolves.toEqual(['done', 'done', 'done', 'done']);
  });

  it('counts streams and is per peer: another peer is still served', async () => {
    const network = new MockNetwork({ seed: 1 });
    const server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger, maxActiveHandlersPerPeer: 2 });
    const a = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger });
    const b = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger });
    cleanup.push(async () => {
      await a.close();
      await b.close();
      await server.close();
    });
    server.handle('forever', () => new Observable<number>(() => {}));
    server.handle('now', () => 'ok');
    await server.start();
    const streams = [a.request$('forever').subscribe({ error: () => {} }), a.request$('forever').subscribe({ error: () => {} })];
    await flush();
    await expect(a.request('now')).rejects.toMatchObject({ code: 'BUSY' });
    await expect(b.request('now')).resolves.toBe('ok');
    streams[0]!.unsubscribe();
    await flush();
    await expect(a.request('now')).resolves.toBe('ok');
    streams[1]!.unsubscribe();
  });

  it('is validated: an integer from 1 to 1048576', () => {
    const t = new MockNetwork().listen('x');
    for (const bad of [0, -1, 1.5, 2 ** 21, Number.NaN, '8' as never]) {
      expect(() => new MessageBus(t, { maxActiveHandlersPerPeer: bad })).toThrow(/maxActiveHandlersPerPeer must be an integer from 1 to 1048576/);
    }
    expect(() => new MessageBus(t, { maxActiveHandlersPerPeer: 1 })).not.toThrow();
  });
});

describe('peer-controlled strings', () => {
  it('answers NO_HANDLER for a long method with its name quoted once and cut, and the caller reads it', async () => {
    const { server, rogue } = await serverAndRogue();
    const replies: Uint8Array[] = [];
    rogue.frames$.subscribe((f) => replies.push(f.data));
    void server;
    const name = 'x'.repeat(1000);
    await rogue.send(request(1, name));
    await flush();
    expect(replies).toHaveLength(1);
    const { decodeMessageFrame } = await import('@pipebus/core/transport-kit');
    const reply = decodeMessageFrame(replies[0]!, new Map([[msgpackCodec.id, msgpackCodec]]));
    const message = (reply.payload as { message: string }).message;
    expect(message.split('xxxxxxxxxx').length - 1).toBeLessThanOrEqual(8);
    expect(message).toContain('(1000 chars)');
    expect(message.length).toBeLessThan(300);
  });

  it('gives an honest caller a readable NO_HANDLER error', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    const error = (await pair.client.request('m'.repeat(1024)).catch((e: unknown) => e)) as BusError;
    expect(error.code).toBe('NO_HANDLER');
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain('"mmmm');
  });

  it('drops a peer whose request names a method longer than 1024 characters, without answering it', async () => {
    const { server, rogue } = await serverAndRogue();
    let calls = 0;
    server.handle('m', () => ++calls);
    await rogue.send(request(1, 'm'.repeat(1_000_000)));
    await flush();
    expect(server.stats()).toMatchObject({ decodeFailed: 1, peersDropped: 1, noHandler: 0 });
  });

  it('cuts a remote error message in the caller\'s error, keeping the whole text in details', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    const long = 'e'.repeat(100_000);
    pair.server.handle('fail', () => {
      throw Object.assign(new Error(long), { code: 'C'.repeat(10_000) });
    });
    const error = (await pair.client.request('fail').catch((e: unknown) => e)) as BusError;
    expect(error.code).toBe('REMOTE_ERROR');
    expect(error.message.length).toBeLessThan(1300);
    expect(error.details?.remoteMessage).toBe(long);
  });
});

it('cuts a protocol error a peer reports before it reaches the log', async () => {
  const warnings: string[] = [];
  const { rogue } = await serverAndRogue({ logger: { ...silentLogger, warn: (m: string) => warnings.push(m) } });
  const payload = { code: 'C'.repeat(100_000), message: 'M'.repeat(500_000), origin: 'bus' };
  await rogue.send(encodeMessageFrame({ kind: Kind.Error, id: 0, name: '', payload, headers: undefined }, msgpackCodec));
  await flush();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.length).toBeLessThan(1300);
});

describe('requests nothing could answer', () => {
  it('never runs a handler for a request that came over a one-way transport', async () => {
    const network = new MockNetwork({ seed: 1 });
    const server = new MessageBus(network.join('events'), { clock: network.clock, logger: silentLogger });
    // handle() refuses a one-way bus (NOT_SUPPORTED); the inbox must still
    // count a request that arrives there and answer nothing.
    expect(() => server.handle('m', async () => 1)).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED' }));
    await server.start();
    const rogue = network.join('events');
    await rogue.start();
    cleanup.push(async () => {
      await rogue.close();
      await server.close();
    });
    for (let i = 1; i <= 100; i++) await rogue.send(request(i, 'm'));
    await flush();
    expect(server.stats()).toMatchObject({ requestsUnanswerable: 100, activeHandlers: 0 });
  });

  it('never runs a handler for a request that inbound middleware held past its peer\'s disconnect', async () => {
    const { server, rogue } = await serverAndRogue();
    let calls = 0;
    server.handle('m', async () => ++calls);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.use({ inbound: async (_msg, next) => { await held; await next(); } });
    await rogue.send(request(1, 'm'));
    await flush();
    await rogue.close();
    await flush();
    release();
    await flush();
    expect(calls).toBe(0);
    expect(server.stats()).toMatchObject({ requestsUnanswerable: 1, activeHandlers: 0 });
  });
});
