import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { Observable } from 'rxjs';
import { BusError, MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { Kind, decodeMessageFrame, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { HandlerContext, MessageBusOptions } from '@pipebus/core';
import type { Envelope } from '@pipebus/core/transport-kit';
import { busPair, flush } from './helpers.js';

// What a handler slot (maxActiveHandlersPerPeer) covers: a cancelled handler
// until it settles, a request held by async inbound middleware, and an id
// that a later call may reuse only once its handler is really gone.

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

/** A server bus and a raw client transport that sends hand-built frames and records the replies. */
async function serverAndRogue(options: MessageBusOptions = {}): Promise<{ server: MessageBus; rogue: MockTransport; replies: Envelope[] }> {
  const network = new MockNetwork({ seed: 1 });
  const server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger, ...options });
  await server.start();
  const rogue = network.connect('svc');
  const replies: Envelope[] = [];
  rogue.frames$.subscribe((f) => replies.push(decodeMessageFrame(f.data, new Map([[msgpackCodec.id, msgpackCodec]]))));
  await rogue.start();
  cleanup.push(async () => {
    await rogue.close();
    await server.close();
  });
  return { server, rogue, replies };
}

function frame(kind: Kind, id: number, name: string): Uint8Array {
  return encodeMessageFrame({ kind, id, name, payload: null, headers: undefined }, msgpackCodec);
}

/** A handler whose Promises settle only when released, and that ignores its signal (as many do). */
function stubborn(): { handler: (p: unknown, ctx: HandlerContext) => Promise<string>; started: number; aborted: number; releaseAll(): void } {
  const release: Array<() => void> = [];
  const s = {
    started: 0,
    aborted: 0,
    handler: (_: unknown, ctx: HandlerContext) => {
      s.started++;
      ctx.signal.addEventListener('abort', () => s.aborted++);
      return new Promise<string>((resolve) => release.push(() => resolve('late')));
    },
    releaseAll: () => {
      for (const r of release.splice(0)) r();
    },
  };
  return s;
}

describe('a cancelled Promise handler', () => {
  it('keeps its slot until it settles, so cancelling each request does not lift the cap', async () => {
    const { server, rogue, replies } = await serverAndRogue({ maxActiveHandlersPerPeer: 4 });
    const slow = stubborn();
    server.handle('slow', slow.handler);
    for (let id = 1; id <= 10; id++) {
      await rogue.send(frame(Kind.Request, id, 'slow'));
      await rogue.send(frame(Kind.Cancel, id, 'slow'));
    }
    await flush();
    expect(slow.started).toBe(4);
    expect(slow.aborted).toBe(4);
    expect(server.stats()).toMatchObject({ activeHandlers: 4, requestsBusy: 6, peersDropped: 0 });

    slow.releaseAll();
    await flush();
    // Settled: the slots are free again, and a cancelled handler's result is not sent.
    expect(server.stats().activeHandlers).toBe(0);
    expect(replies.filter((r) => r.kind === Kind.Response)).toHaveLength(0);
    await rogue.send(frame(Kind.Request, 11, 'slow'));
    await flush();
    expect(slow.started).toBe(5);
  });

  it('keeps its id: a request reusing it drops the peer, and the late result answers nobody', async () => {
    const { server, rogue, replies } = await serverAndRogue();
    const slow = stubborn();
    let tickers = 0;
    let live = 0;
    server.handle('slow', slow.handler);
    server.handle('ticker', () => new Observable<number>(() => {
      tickers++;
      live++;
      return () => live--;
    }));
    await rogue.send(frame(Kind.Request, 7, 'slow'));
    await rogue.send(frame(Kind.Cancel, 7, 'slow'));
    await rogue.send(frame(Kind.Request, 7, 'ticker')).catch(() => {});
    await flush();
    expect(tickers).toBe(0);
    expect(server.stats()).toMatchObject({ peersDropped: 1 });
    slow.releaseAll();
    await flush();
    expect(live).toBe(0);
    expect(server.stats().activeHandlers).toBe(0);
    expect(replies.filter((r) => r.id === 7 && r.kind !== Kind.Error)).toHaveLength(0);
  });

  it('is counted for an honest caller too, which gets CANCELLED and no late answer', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    const slow = stubborn();
    pair.server.handle('slow', slow.handler);
    const abort = new AbortController();
    const call = pair.client.request('slow', null, { signal: abort.signal }).catch((e: unknown) => e);
    await flush();
    abort.abort();
    expect(BusError.is(await call, 'CANCELLED')).toBe(true);
    await flush();
    expect(slow.aborted).toBe(1);
    expect(pair.server.stats().activeHandlers).toBe(1);
    slow.releaseAll();
    await flush();
    expect(pair.server.stats().activeHandlers).toBe(0);
    expect(pair.client.stats().lateResponses).toBe(0);
    // The caller's next ids are new ones: it is served as before.
    pair.server.handle('now', () => 'ok');
    await expect(pair.client.request('now')).resolves.toBe('ok');
    expect(pair.server.stats().peersDropped).toBe(0);
  });
});

describe('a cancelled stream', () => {
  it('is unsubscribed and leaves at once; its id may then start a new stream', async () => {
    const { server, rogue, replies } = await serverAndRogue();
    const slow = stubborn();
    let live = 0;
    const emit: Array<(n: number) => void> = [];
    server.handle('slow', slow.handler);
    server.handle('ticker', () => new Observable<number>((subscriber) => {
      live++;
      emit.push((n) => subscriber.next(n));
      return () => live--;
    }));
    await rogue.send(frame(Kind.Request, 7, 'ticker'));
    await rogue.send(frame(Kind.Cancel, 7, 'ticker'));
    await flush();
    expect(live).toBe(0);
    expect(server.stats().activeHandlers).toBe(0);
    // Request 8 (slow) and a new stream on 7: the old entry of 7 is gone for good.
    await rogue.send(frame(Kind.Request, 8, 'slow'));
    await rogue.send(frame(Kind.Request, 7, 'ticker'));
    await flush();
    expect(live).toBe(1);
    slow.releaseAll();
    await flush();
    expect(server.stats().activeHandlers).toBe(1);
    emit[1]!(42);
    await flush();
    expect(replies.filter((r) => r.id === 7 && r.kind === Kind.StreamNext).map((r) => r.payload)).toEqual([42]);
    await rogue.close();
    await flush();
    expect(live).toBe(0);
    expect(server.stats().activeHandlers).toBe(0);
  });
});

describe('requests held by async inbound middleware', () => {
  /** Inbound middleware that holds every request until released, and drops those whose name starts with 'drop'. */
  function gate(server: MessageBus): { seen: number; open(): void } {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const g = { seen: 0, open: () => open() };
    server.use({
      inbound: async (msg, next) => {
        if (msg.kind !== 'request') return next();
        g.seen++;
        await opened;
        if (!msg.name.startsWith('drop')) await next();
      },
    });
    return g;
  }

  it('count against maxActiveHandlersPerPeer: one beyond the cap is answered BUSY before the middleware runs', async () => {
    const { server, rogue, replies } = await serverAndRogue({ maxActiveHandlersPerPeer: 3 });
    const g = gate(server);
    let calls = 0;
    server.handle('m', () => ++calls);
    server.handle('drop.m', () => ++calls);
    await rogue.send(frame(Kind.Request, 1, 'm'));
    await rogue.send(frame(Kind.Request, 2, 'drop.m'));
    for (let id = 3; id <= 10; id++) await rogue.send(frame(Kind.Request, id, 'm'));
    await flush();
    expect(g.seen).toBe(3);
    expect(server.stats()).toMatchObject({ activeHandlers: 3, requestsBusy: 7 });
    expect(replies.filter((r) => r.kind === Kind.Error).map((r) => (r.payload as { code: string }).code)).toEqual(Array(7).fill('BUSY'));

    g.open();
    await flush();
    // Passed or dropped, they leave; the two passed ones ran.
    expect(calls).toBe(2);
    expect(server.stats()).toMatchObject({ activeHandlers: 0, middlewareDropped: 1 });
    await rogue.send(frame(Kind.Request, 11, 'm'));
    await flush();
    expect(calls).toBe(3);
  });

  it('never run a request cancelled while held', async () => {
    const { server, rogue } = await serverAndRogue();
    const g = gate(server);
    let calls = 0;
    server.handle('m', () => ++calls);
    await rogue.send(frame(Kind.Request, 1, 'm'));
    await rogue.send(frame(Kind.Cancel, 1, 'm'));
    await rogue.send(frame(Kind.Request, 2, 'm'));
    await flush();
    g.open();
    await flush();
    expect(calls).toBe(1);
    expect(server.stats()).toMatchObject({ activeHandlers: 0, requestsUnanswerable: 0, peersDropped: 0 });
  });

  it('hold their id: a request reusing it drops the peer, and neither runs', async () => {
    const { server, rogue } = await serverAndRogue();
    const g = gate(server);
    let calls = 0;
    server.handle('m', () => ++calls);
    await rogue.send(frame(Kind.Request, 2, 'm'));
    await rogue.send(frame(Kind.Request, 2, 'm')).catch(() => {});
    await flush();
    expect(g.seen).toBe(1);
    expect(server.stats().peersDropped).toBe(1);
    g.open();
    await flush();
    expect(calls).toBe(0);
    expect(server.stats()).toMatchObject({ activeHandlers: 0, requestsUnanswerable: 1 });
  });
});
