import { afterEach, describe, expect, it } from '@jest/globals';
import { Observable, firstValueFrom } from 'rxjs';
import { BusError, jsonCodec, msgpackCompatCodec, silentLogger } from '@pipebus/core';
import type { BusEvent, Logger } from '@pipebus/core';
import type { BusPair } from './helpers.js';
import { busPair, flush } from './helpers.js';

// Payloads the codecs would send as undefined or {} without a word (functions,
// Promises, WeakMaps, class instances with only private state…) fail with
// INVALID_ARGUMENT naming the path: requests, replies, stream values, publishes.

let pair: BusPair;
afterEach(async () => {
  await pair?.close();
});

class Account {
  #balance = 10;
  get balance(): number {
    return this.#balance;
  }
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (message: string) => void warnings.push(message) };
}

async function failure(promise: Promise<unknown>): Promise<BusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!BusError.is(error)) throw new Error(`expected a BusError, got ${String(error)}`);
  return error;
}

describe('a request payload that cannot be encoded faithfully', () => {
  it('fails with INVALID_ARGUMENT naming the path, and nothing is sent', async () => {
    pair = await busPair();
    let calls = 0;
    pair.server.handle('orders.add', () => ++calls);
    pair.network.clearTraffic();
    const e = await failure(pair.client.request('orders.add', { items: [1, 2, 3, { cb: () => 0 }] }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^request\('orders\.add'\): payload\.items\[3\]\.cb is a function/);
    expect(e.details).toEqual({ path: 'payload.items[3].cb' });
    await flush();
    expect(pair.network.traffic).toEqual([]);
    expect(calls).toBe(0);
    expect(pair.client.stats().pendingRequests).toBe(0);
  });

  it.each<[string, unknown, RegExp]>([
    ['a Promise', { total: Promise.resolve(3) }, /payload\.total is a Promise; await it/],
    ['a WeakMap', { cache: new WeakMap() }, /payload\.cache is a WeakMap/],
    ['a class instance whose state is private', { account: new Account() }, /payload\.account is an Account instance with no public fields/],
    ['a Symbol', { kind: Symbol('k') }, /payload\.kind is a Symbol/],
    ['a function as the whole payload', () => 1, /payload is a function/],
  ])('%s: INVALID_ARGUMENT', async (_what, payload, message) => {
    pair = await busPair();
    const e = await failure(pair.client.request('m', payload));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(message);
  });

  it('fails request$() on subscription the same way', async () => {
    pair = await busPair();
    const e = await failure(firstValueFrom(pair.client.request$('m', { f: () => 1 })));
    expect(e.message).toMatch(/^request\('m'\): payload\.f is a function/);
  });

  it('is checked with the JSON and standard MessagePack codecs too', async () => {
    for (const codec of [jsonCodec, msgpackCompatCodec]) {
      pair = await busPair({ codec });
      const e = await failure(pair.client.request('m', { f: () => 1 }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      await pair.close();
    }
  });
});

describe('what the codecs carry still goes, as before', () => {
  it('plain objects, arrays, Map, Set, Date, Uint8Array, Buffer, bigint, null and undefined inside objects', async () => {
    pair = await busPair();
    pair.server.handle('echo', (p: unknown) => p);
    const payload = {
      list: [1, 'a', null, { deep: [true] }],
      map: new Map<string, unknown>([['k', { v: 1 }]]),
      set: new Set([1, 2]),
      date: new Date(5),
      bytes: Uint8Array.of(1, 2),
      buffer: Buffer.from('hi'),
      big: 2n ** 70n,
      nothing: null,
      missing: undefined,
    };
    await expect(pair.client.request('echo', payload)).resolves.toEqual(payload);
  });
});

describe('a handler whose answer cannot be encoded faithfully', () => {
  it('gets the caller an error with a code and the path, and the server logs it; nothing hangs', async () => {
    const logger = recordingLogger();
    pair = await busPair({ logger });
    pair.server.handle('make', () => ({ ok: true, onDone: () => 1 }));
    const e = await failure(pair.client.request('make'));
    expect(e.code).toBe('REMOTE_ERROR');
    expect(e.remoteCode).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/handle\('make'\): reply\.onDone is a function/);
    // Answered, not timed out: no virtual time passed.
    expect(pair.network.clock.now()).toBe(0);
    expect(logger.warnings.filter((w) => w.includes("the handler of \"make\" returned a value that cannot be sent: handle('make'): reply.onDone is a function"))).toHaveLength(1);
  });

  it('the same for a Promise that resolves to one', async () => {
    pair = await busPair();
    pair.server.handle('load', async () => ({ account: new Account() }));
    const e = await failure(pair.client.request('load'));
    expect(e.remoteCode).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('reply.account is an Account instance with no public fields');
    expect(pair.server.stats().activeHandlers).toBe(0);
  });

  it('ends a stream at the value that cannot travel: the caller gets the values before it, then the error; the handler is stopped', async () => {
    pair = await busPair();
    let stopped = false;
    let signal: AbortSignal | undefined;
    pair.server.handle('feed', (_: unknown, context) => {
      signal = context.signal;
      return new Observable<unknown>((subscriber) => {
        subscriber.next(1);
        subscriber.next({ handle: new WeakSet() });
        subscriber.next(3);
        return () => void (stopped = true);
      });
    });
    const seen: unknown[] = [];
    const e = await new Promise<BusError>((resolve) =>
      pair.client.request$('feed').subscribe({ next: (v) => seen.push(v), error: resolve, complete: () => resolve(new BusError('INTERNAL', 'completed')) }),
    );
    expect(seen).toEqual([1]);
    expect(e.remoteCode).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain("handle('feed'): streamValue.handle is a WeakSet");
    expect(stopped).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(pair.server.stats().activeHandlers).toBe(0);
  });
});

describe('a publish whose payload cannot be encoded faithfully', () => {
  it('rejects with INVALID_ARGUMENT before anyone, local or remote, receives it', async () => {
    pair = await busPair();
    const local: BusEvent[] = [];
    const remote: BusEvent[] = [];
    pair.client.subscribe('prices.*').subscribe((e) => local.push(e));
    pair.server.subscribe('prices.*').subscribe((e) => remote.push(e));
    const e = await failure(pair.client.publish('prices.acme', { price: 3, recompute: () => 4 }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^publish\('prices\.acme'\): payload\.recompute is a function/);
    await pair.network.clock.advance(10);
    expect(local).toEqual([]);
    expect(remote).toEqual([]);
    // A good one still goes to both.
    const all = firstValueFrom(pair.server.subscribe('prices.*'));
    await pair.client.publish('prices.acme', { price: 3 });
    await expect(all).resolves.toMatchObject({ payload: { price: 3 } });
    expect(local).toHaveLength(1);
  });
});

describe('a codec of your own', () => {
  it('decides for itself: the bus does not check its payloads', async () => {
    let seen: unknown;
    const own = { ...jsonCodec, id: 200, name: 'own', encode: (value: unknown, headroom?: number) => ((seen = value), jsonCodec.encode(value, headroom)) };
    pair = await busPair({ codec: own });
    pair.server.handle('m', () => 'ok');
    await expect(pair.client.request('m', { f: () => 1 })).resolves.toBe('ok');
    expect(seen).toBeDefined();
  });
});
