import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { firstValueFrom } from 'rxjs';
import { BusError, MessageBus, jsonCodec, msgpackCompatCodec, silentLogger } from '@pipebus/core';
import { FRAGMENT_FRAME_BYTE } from '@pipebus/core/transport-kit';
import type { Logger, MessageContext } from '@pipebus/core';
import type { BusPair } from './helpers.js';
import { busPair, flush, withoutAnnouncements } from './helpers.js';

let pair: BusPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('argument validation', () => {
  it.each([
    ['an empty method', (p: BusPair) => p.client.request('', 1)],
    ['a non-string method', (p: BusPair) => p.client.request(42 as never, 1)],
    ['a negative timeout', (p: BusPair) => p.client.request('m', 1, { timeout: -1 })],
    ['a NaN timeout', (p: BusPair) => p.client.request('m', 1, { timeout: Number.NaN })],
    ['a signal that is not an AbortSignal', (p: BusPair) => p.client.request('m', 1, { signal: {} as never })],
    ['headers with a number value', (p: BusPair) => p.client.request('m', 1, { headers: { a: 1 } as never })],
    ['an empty peer id', (p: BusPair) => p.client.request('m', 1, { to: '' })],
  ])('request() rejects %s with INVALID_ARGUMENT', async (_what, call) => {
    pair = await busPair();
    await expect(call(pair)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(withoutAnnouncements(pair.network.traffic)).toHaveLength(0);
  });

  it('request$() throws at once for bad arguments', async () => {
    pair = await busPair();
    expect(() => pair!.client.request$('', 1)).toThrow(BusError);
    expect(() => pair!.client.request$('m', 1, { timeout: 0 })).toThrow(/positive number of milliseconds/);
  });

  it('handle() refuses a non-function handler and a second handler for one method', async () => {
    pair = await busPair();
    expect(() => pair!.server.handle('m', 'nope' as never)).toThrow(/handler must be a function/);
    const off = pair.server.handle('m', () => 1);
    expect(() => pair!.server.handle('m', () => 2)).toThrow(/already has a handler/);
    off();
    expect(() => pair!.server.handle('m', () => 3)).not.toThrow();
  });

  it('the constructor checks its transport and options', () => {
    expect(() => new MessageBus({} as never)).toThrow(/needs a Transport/);
    const network = new MockNetwork();
    const t = network.listen('x');
    expect(() => new MessageBus(t, { defaultTimeout: -5 })).toThrow(/defaultTimeout/);
    expect(() => new MessageBus(t, { maxMessageSize: 0 })).toThrow(/maxMessageSize/);
    expect(() => new MessageBus(t, { codec: { id: 999 } as never })).toThrow(/Codec/);
    const careless = { id: 200, name: 'careless', encode: (v: unknown) => jsonCodec.encode(v), decode: (b: Uint8Array) => jsonCodec.decode(b) };
    expect(() => new MessageBus(t, { codec: careless })).toThrow(/ignores encode\(value, headroom\)/);
    expect(() => new MessageBus(t, { maxMessageSize: 1000, reassembly: { maxBufferedBytes: 999 } })).toThrow(/maxBufferedBytes/);
  });

  it('use() refuses something that is not middleware', async () => {
    pair = await busPair();
    expect(() => pair!.client.use({} as never)).toThrow(/inbound\?: fn, outbound\?: fn/);
  });
});

describe('malformed frames from a peer', () => {
  function recordingLogger(): { logger: Logger; warnings: string[] } {
    const warnings: string[] = [];
    return { logger: { ...silentLogger, warn: (m) => warnings.push(m) }, warnings };
  }

  it('counts, logs and drops a peer that sends garbage, tells it why, and keeps serving others', async () => {
    const network = new MockNetwork({ seed: 1 });
    const { logger, warnings } = recordingLogger();
    const serverTransport = network.listen('svc');
    const server = new MessageBus(serverTransport, { clock: network.clock, logger });
    server.handle('ok', () => 'fine');
    await server.start();
    const rogue = network.connect('svc');
    const replies: Uint8Array[] = [];
    rogue.frames$.subscribe((f) => replies.push(f.data));
    await rogue.start();
    const good = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger });
    await good.start();
    pair = { close: async () => { await good.close(); await rogue.close(); await server.close(); } } as BusPair;

    await rogue.send(new Uint8Array([0x10, 0x00, 0xc1, 0xff, 0x00]));
    await flush();
    expect(server.stats()).toMatchObject({ decodeFailed: 1, peersDropped: 1 });
    expect(warnings.some((w) => w.includes('dropped a frame'))).toBe(true);
    expect(serverTransport.dropped).toHaveLength(1);
    expect(replies.length).toBeGreaterThanOrEqual(1);
    await expect(good.request('ok')).resolves.toBe('fine');
  });

  it('counts a frame of an unknown wire version and never throws into user code', async () => {
    pair = await busPair();
    // Each bad frame gets the rogue dropped, so each comes on a fresh connection.
    for (const frame of [[0x70, 0x00, 0x01], [], [0x10], [FRAGMENT_FRAME_BYTE, 0, 0, 0]]) {
      const rogue = pair.network.connect('svc');
      await rogue.start();
      await rogue.send(new Uint8Array(frame));
      await flush();
      await rogue.close();
    }
    const stats = pair.server.stats();
    expect(stats.unsupportedVersion).toBe(2);
    expect(stats.decodeFailed).toBe(1);
    expect(stats.reassembly.malformedDropped).toBe(1);
    await expect(pair.client.ping()).resolves.toBe(0);
  });

  it('rejects a well-formed envelope of an unknown kind', async () => {
    pair = await busPair();
    const rogue = pair.network.connect('svc');
    await rogue.start();
    const body = msgpackCompatCodec.encode([99, 1, 'x', null]);
    await rogue.send(new Uint8Array([0x10, msgpackCompatCodec.id, ...body]));
    await flush();
    expect(pair.server.stats().decodeFailed).toBe(1);
    await rogue.close();
  });
});

describe('middleware', () => {
  it('lets outbound middleware add headers that inbound middleware and handlers read', async () => {
    pair = await busPair();
    const seen: string[] = [];
    pair.client.use({
      outbound: (msg, next) => {
        if (msg.kind === 'request') msg.headers = { ...msg.headers, token: 's3cret' };
        return next();
      },
    });
    pair.server.use({
      inbound: async (msg: MessageContext, next) => {
        seen.push(`${msg.direction}:${msg.kind}:${msg.name}`);
        await next();
      },
    });
    pair.server.handle('whoami', (_: unknown, ctx) => ctx.headers.token);
    await expect(pair.client.request('whoami')).resolves.toBe('s3cret');
    expect(seen).toEqual(['inbound:request:whoami']);
  });

  it('refuses a request when inbound middleware throws, with the code it threw', async () => {
    pair = await busPair();
    pair.server.use({
      inbound: (msg, next) => {
        if (msg.kind === 'request' && msg.headers?.token !== 'ok') throw new BusError('ACCESS_DENIED', 'missing token');
        return next();
      },
    });
    pair.server.handle('secret', () => 42);
    const error = (await pair.client.request('secret').catch((e: unknown) => e)) as BusError;
    expect(error.code).toBe('ACCESS_DENIED');
    await expect(pair.client.request('secret', null, { headers: { token: 'ok' } })).resolves.toBe(42);
  });

  it('drops messages a middleware does not pass on, and counts them', async () => {
    pair = await busPair();
    pair.server.use({ inbound: (msg, next) => (msg.name === 'noise' ? undefined : next()) });
    const got: string[] = [];
    pair.server.subscribe('>').subscribe((e) => got.push(e.topic));
    await pair.client.publish('noise');
    await pair.client.publish('signal');
    await flush();
    expect(got).toEqual(['signal']);
    expect(pair.server.stats().middlewareDropped).toBe(1);
  });

  it('fails the call when outbound middleware throws', async () => {
    pair = await busPair();
    pair.client.use({ outbound: () => { throw new BusError('ACCESS_DENIED', 'not allowed to send'); } });
    await expect(pair.client.request('x')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});

describe('codecs', () => {
  const rich = {
    date: new Date('2026-01-02T03:04:05.678Z'),
    map: new Map<unknown, unknown>([[1, 'one'], ['k', { nested: true }]]),
    set: new Set(['a', 'b']),
    big: 2n ** 100n,
    small: -5n,
    bytes: new Uint8Array([1, 2, 3]),
    floats: new Float64Array([1.5, -2.25]),
    ints: new Int32Array([-1, 7]),
    nested: { list: [1, 'two', null, { three: 3 }] },
  };

  it('round-trips Dates, Maps, Sets, BigInts and typed arrays with the default msgpack codec', async () => {
    pair = await busPair();
    pair.server.handle('echo', (p: unknown) => p);
    const back = await pair.client.request<typeof rich>('echo', rich);
    expect(back.date).toEqual(rich.date);
    expect(back.map).toBeInstanceOf(Map);
    expect([...back.map]).toEqual([...rich.map]);
    expect(back.set).toEqual(rich.set);
    expect(back.big).toBe(rich.big);
    expect(back.small).toBe(rich.small);
    expect(Array.from(back.bytes)).toEqual([1, 2, 3]);
    expect(back.floats).toBeInstanceOf(Float64Array);
    expect(Array.from(back.floats)).toEqual([1.5, -2.25]);
    expect(back.ints).toBeInstanceOf(Int32Array);
    expect(back.nested).toEqual(rich.nested);
  });

  it('decodes whatever codec the sender chose, per frame', async () => {
    const network = new MockNetwork({ seed: 1 });
    const server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger });
    const jsonClient = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger, codec: jsonCodec });
    pair = { close: async () => { await jsonClient.close(); await server.close(); } } as BusPair;
    server.handle('echo', (p: unknown) => p);
    await server.start();
    const value = { when: new Date(0), n: 12n, bytes: new Uint8Array([9]), text: 'x' };
    const back = await jsonClient.request<typeof value>('echo', value);
    expect(back.when).toEqual(new Date(0));
    expect(back.n).toBe(12n);
    expect(Array.from(back.bytes)).toEqual([9]);
    expect(network.traffic[0]!.data[1]).toBe(jsonCodec.id);
  });

  it('the compat codec writes standard MessagePack: Maps arrive as objects', async () => {
    pair = await busPair({ codec: msgpackCompatCodec });
    pair.server.handle('echo', (p: unknown) => p);
    const back = await pair.client.request<Record<string, unknown>>('echo', { m: new Map([['a', 1]]) });
    expect(back.m).toEqual({ a: 1 });
  });

  it('refuses a payload the codec cannot encode with INVALID_ARGUMENT', async () => {
    pair = await busPair({ codec: jsonCodec });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(pair.client.publish('t', cyclic)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('events for subscribers of a closed bus', () => {
  it('completes a subscription taken after close', async () => {
    pair = await busPair();
    await pair.client.close();
    await expect(firstValueFrom(pair.client.subscribe('x'), { defaultValue: 'done' })).resolves.toBe('done');
    await expect(pair.client.request('x')).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
