import { afterEach, describe, expect, it } from '@jest/globals';
import { Observable, Subject, firstValueFrom, toArray } from 'rxjs';
import { BusError } from '@pipebus/core';
import type { HandlerContext } from '@pipebus/core';
import type { BusPair } from './helpers.js';
import { busPair, flush } from './helpers.js';

let pair: BusPair;
afterEach(async () => {
  await pair?.close();
});

describe('request/response', () => {
  it('answers with a plain value, a Promise and an async function alike', async () => {
    pair = await busPair();
    pair.server.handle('sync', (n: number) => n + 1);
    pair.server.handle('promise', (n: number) => Promise.resolve(n * 2));
    pair.server.handle('async', async (n: number) => `n=${n}`);
    await expect(pair.client.request('sync', 1)).resolves.toBe(2);
    await expect(pair.client.request('promise', 4)).resolves.toBe(8);
    await expect(pair.client.request('async', 5)).resolves.toBe('n=5');
  });

  it('gives the handler the caller, the headers and a signal', async () => {
    pair = await busPair();
    let seen: HandlerContext | undefined;
    pair.server.handle('who', (_: unknown, ctx) => {
      seen = ctx;
      return ctx.peer.id;
    });
    const peerId = await pair.client.request<string>('who', null, { headers: { trace: 'abc' } });
    expect(seen?.method).toBe('who');
    expect(seen?.headers).toEqual({ trace: 'abc' });
    expect(seen?.peer.id).toBe(peerId);
    expect(seen?.signal.aborted).toBe(false);
  });

  it('fails fast with NO_HANDLER when nobody handles the method', async () => {
    pair = await busPair();
    const error = await pair.client.request('nobody.home', 1).catch((e: unknown) => e);
    expect(BusError.is(error, 'NO_HANDLER')).toBe(true);
    expect((error as BusError).message).toContain('"nobody.home"');
    expect((error as BusError).message).toContain('bus.handle(');
    // No virtual time passed: the answer came back, not a timeout.
    expect(pair.network.clock.now()).toBe(0);
  });

  it('turns a throwing handler into REMOTE_ERROR with the remote code and message', async () => {
    pair = await busPair();
    pair.server.handle('fail', () => {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    });
    pair.server.handle('reject', async () => {
      throw new BusError('ACCESS_DENIED', 'not yours');
    });
    const e1 = (await pair.client.request('fail').catch((e: unknown) => e)) as BusError;
    expect(e1.code).toBe('REMOTE_ERROR');
    expect(e1.remoteCode).toBe('ENOSPC');
    expect(e1.message).toContain('disk full');
    const e2 = (await pair.client.request('reject').catch((e: unknown) => e)) as BusError;
    expect(e2.code).toBe('REMOTE_ERROR');
    expect(e2.remoteCode).toBe('ACCESS_DENIED');
    expect(pair.server.stats().handlerErrors).toBe(2);
  });

  it('times out in virtual time and tells the handler to stop', async () => {
    pair = await busPair();
    let signal: AbortSignal | undefined;
    pair.server.handle('slow', (_: unknown, ctx) => {
      signal = ctx.signal;
      // A handler that stops when told: a cancelled one holds its slot until it settles.
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
    });
    const result = pair.client.request('slow', null, { timeout: 500 }).catch((e: unknown) => e);
    await flush();
    expect(signal?.aborted).toBe(false);
    await pair.network.clock.advance(499);
    expect(pair.client.stats().pendingRequests).toBe(1);
    await pair.network.clock.advance(1);
    const error = (await result) as BusError;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('500 ms');
    await flush();
    expect(signal?.aborted).toBe(true);
    expect(pair.server.stats().activeHandlers).toBe(0);
    expect(pair.client.stats()).toMatchObject({ requestsTimedOut: 1, pendingRequests: 0 });
  });

  it('cancels through an AbortSignal on both sides', async () => {
    pair = await busPair();
    let signal: AbortSignal | undefined;
    pair.server.handle('long', (_: unknown, ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    const controller = new AbortController();
    const result = pair.client.request('long', null, { signal: controller.signal }).catch((e: unknown) => e);
    await flush();
    controller.abort();
    expect(((await result) as BusError).code).toBe('CANCELLED');
    await flush();
    expect(signal?.aborted).toBe(true);
  });

  it('refuses an already aborted signal without sending', async () => {
    pair = await busPair();
    const sentBefore = pair.network.traffic.length;
    const error = await pair.client.request('x', 1, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(BusError.is(error, 'CANCELLED')).toBe(true);
    expect(pair.network.traffic.length).toBe(sentBefore);
  });

  it('fails requests in flight with TRANSPORT_CLOSED at once when the server goes away', async () => {
    pair = await busPair();
    pair.server.handle('hang', () => new Promise(() => {}));
    const result = pair.client.request('hang', null, { timeout: 60_000 }).catch((e: unknown) => e);
    await flush();
    await pair.server.close();
    const error = (await result) as BusError;
    expect(error.code).toBe('TRANSPORT_CLOSED');
    expect(pair.network.clock.now()).toBe(0);
  });

  it('answers ping without a handler', async () => {
    pair = await busPair();
    await expect(pair.client.ping()).resolves.toBe(0);
  });

  it('refuses requests on a one-way transport with NOT_SUPPORTED', async () => {
    const { MockNetwork } = await import('@pipebus/transport-mock');
    const { MessageBus, silentLogger } = await import('@pipebus/core');
    const network = new MockNetwork({ seed: 1 });
    const bus = new MessageBus(network.join('events'), { clock: network.clock, logger: silentLogger });
    pair = { close: () => bus.close() } as BusPair;
    const error = await bus.request('x').catch((e: unknown) => e);
    expect(BusError.is(error, 'NOT_SUPPORTED')).toBe(true);
  });
});

describe('streaming responses', () => {
  it('emits every value of an Observable handler, then completes', async () => {
    pair = await busPair();
    pair.server.handle('count', (n: number) => new Observable<number>((s) => {
      for (let i = 1; i <= n; i++) s.next(i);
      s.complete();
    }));
    const values = await firstValueFrom(pair.client.request$<number>('count', 5).pipe(toArray()));
    expect(values).toEqual([1, 2, 3, 4, 5]);
    // request() resolves with the last value of a stream.
    await expect(pair.client.request('count', 3)).resolves.toBe(3);
  });

  it('cancels the remote stream when the caller unsubscribes', async () => {
    pair = await busPair();
    const source = new Subject<number>();
    let tornDown = false;
    pair.server.handle('ticks', () => new Observable<number>((s) => {
      const sub = source.subscribe(s);
      return () => {
        tornDown = true;
        sub.unsubscribe();
      };
    }));
    const got: number[] = [];
    const subscription = pair.client.request$<number>('ticks').subscribe((v) => got.push(v));
    await flush();
    source.next(1);
    source.next(2);
    await flush();
    expect(got).toEqual([1, 2]);
    subscription.unsubscribe();
    await flush();
    expect(tornDown).toBe(true);
    source.next(3);
    await flush();
    expect(got).toEqual([1, 2]);
    expect(pair.server.stats().activeHandlers).toBe(0);
  });

  it('applies the timeout between stream values, not to the whole stream', async () => {
    pair = await busPair();
    const source = new Subject<number>();
    pair.server.handle('slowstream', () => source.asObservable());
    const got: number[] = [];
    let failure: unknown;
    pair.client.request$<number>('slowstream', null, { timeout: 100 }).subscribe({ next: (v) => got.push(v), error: (e: unknown) => (failure = e) });
    await flush();
    for (let i = 0; i < 5; i++) {
      await pair.network.clock.advance(90);
      source.next(i);
      await flush();
    }
    expect(failure).toBeUndefined();
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await pair.network.clock.advance(100);
    expect(BusError.is(failure, 'TIMEOUT')).toBe(true);
  });

  it('passes a stream error to the caller as REMOTE_ERROR', async () => {
    pair = await busPair();
    pair.server.handle('broken', () => new Observable((s) => {
      s.next(1);
      s.error(Object.assign(new Error('source died'), { code: 'EPIPE' }));
    }));
    const got: unknown[] = [];
    const error = await new Promise<unknown>((resolve) => pair.client.request$('broken').subscribe({ next: (v) => got.push(v), error: resolve }));
    expect(got).toEqual([1]);
    expect((error as BusError).remoteCode).toBe('EPIPE');
  });
});
