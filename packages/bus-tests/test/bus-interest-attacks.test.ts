import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import type { Logger, MessageBusOptions } from '@pipebus/core';
import { INTEREST_HELLO, Kind, decodeMessageFrame, encodeMessageFrame } from '@pipebus/core/transport-kit';
import { eventsTo, flush } from './helpers.js';

// Interest announcements as an attack surface, and the bounds that hold:
// whatever a client announces, the server answers with a BusError code that
// says what to change, counts it, and keeps its tables bounded (the table
// sizes themselves are checked in core's peer-interests.test.ts).

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

const codecs = new Map([[msgpackCodec.id, msgpackCodec]]);
const hello = (payload: unknown): Uint8Array => encodeMessageFrame({ kind: Kind.Hello, id: 0, name: INTEREST_HELLO, payload, headers: undefined }, msgpackCodec);

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

async function serverOn(network: MockNetwork, options: MessageBusOptions = {}): Promise<MessageBus> {
  const server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger, name: 'server', ...options });
  await server.start();
  open.push(server);
  return server;
}

async function clientOf(network: MockNetwork, name: string, options: MessageBusOptions = {}): Promise<{ bus: MessageBus; transport: MockTransport }> {
  const transport = network.connect('svc', { name, reconnect: true });
  const bus = new MessageBus(transport, { clock: network.clock, logger: silentLogger, name, ...options });
  await bus.start();
  open.push(bus);
  return { bus, transport };
}

/** A client that speaks the wire by hand, and what it receives. */
async function rawPeer(network: MockNetwork, name: string): Promise<{ transport: MockTransport; got: Array<{ kind: number; name: string; payload: unknown }> }> {
  const transport = network.connect('svc', { name });
  const got: Array<{ kind: number; name: string; payload: unknown }> = [];
  transport.onFrame(({ data }) => {
    const { kind, name: n, payload } = decodeMessageFrame(data, codecs);
    got.push({ kind, name: n, payload });
  });
  await transport.start();
  open.push(transport);
  return { transport, got };
}

describe('a client over the server’s maxInterestsPerPeer', () => {
  it('is kept, told once, and sent every event: no drop, so no reconnect loop', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 2 });
    const logger = recordingLogger();
    // The client's own bound is higher than the server's: only the server can catch it.
    const a = await clientOf(network, 'a', { logger });
    const got: string[] = [];
    for (const p of ['one', 'two', 'three']) a.bus.subscribe(p).subscribe((e) => got.push(e.topic));
    await flush();
    // A dropped client reconnects at once and announces the same again; give it time to.
    for (let i = 0; i < 5; i++) {
      await network.clock.advance(1000);
      await flush();
    }
    expect(server.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 1 });
    expect(a.transport.state).toBe('open');
    expect(logger.lines).toEqual([
      expect.stringContaining(
        "warn: peer reported a protocol error: INVALID_ARGUMENT: announced 3 subscription patterns, above this server's maxInterestsPerPeer 2, so it now sends this client every event (correct, only slower) until the client announces few enough: subscribe to fewer, wider, shorter patterns",
      ),
    ]);
    // Every event reaches it, the ones it subscribed to are delivered.
    await server.publish('three', 1);
    await server.publish('other', 2);
    await flush();
    expect(eventsTo(network, a.transport)).toEqual(['three', 'other']);
    expect(got).toEqual(['three']);
  });

  it('is routed again after a reconnect announces few enough', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 2 });
    const a = await clientOf(network, 'a');
    const subs = ['one', 'two', 'three'].map((p) => a.bus.subscribe(p).subscribe());
    await flush();
    subs.pop()!.unsubscribe();
    await network.disconnect('svc');
    await network.restore('svc');
    await flush();
    network.clearTraffic();
    await server.publish('one', 1);
    await server.publish('three', 2);
    await flush();
    expect(eventsTo(network, a.transport)).toEqual(['one']);
    expect(server.stats().interestsRefused).toBe(1);
  });

  it('on the client’s own bound, asks for everything itself, and for its patterns again once back within it', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 2 });
    const logger = recordingLogger();
    const a = await clientOf(network, 'a', { maxInterestsPerPeer: 2, logger });
    const subs = ['one', 'two', 'three'].map((p) => a.bus.subscribe(p).subscribe());
    await flush();
    await server.publish('other', 1);
    await flush();
    // The server refused nothing: the client announced '>' rather than a list it knew was too long.
    expect(server.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 0 });
    expect(eventsTo(network, a.transport)).toEqual(['other']);
    expect(logger.lines).toEqual([expect.stringContaining('warn: subscribed to 3 distinct patterns of 3 tokens, above maxInterestsPerPeer 2 (and 16 tokens in all), so the server is asked for every event')]);
    subs.pop()!.unsubscribe();
    await flush();
    network.clearTraffic();
    await server.publish('other', 2);
    await server.publish('two', 3);
    await server.publish('three', 4);
    await flush();
    expect(eventsTo(network, a.transport)).toEqual(['two']);
  });

  it('asks for everything itself when its patterns have more tokens than the server takes, and for them again once within', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 2 });
    const a = await clientOf(network, 'a', { maxInterestsPerPeer: 2 });
    // 2 patterns, 17 tokens: over the 16 that 2 patterns may have.
    const long = a.bus.subscribe(`x.${new Array<string>(15).fill('*').join('.')}`).subscribe();
    a.bus.subscribe('y').subscribe();
    await flush();
    await server.publish('other', 1);
    await flush();
    expect(server.stats().interestsRefused).toBe(0);
    expect(eventsTo(network, a.transport)).toEqual(['other']);
    long.unsubscribe();
    await flush();
    network.clearTraffic();
    await server.publish('other', 2);
    await server.publish('y', 3);
    await flush();
    expect(eventsTo(network, a.transport)).toEqual(['y']);
  });
});

describe('hostile announcements to a server', () => {
  it('drops a peer for each malformed announcement with a code and a message that says what to send, counting it', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 8 });
    const cases: Array<[unknown, string, string]> = [
      ['not an object', 'DECODE_FAILED', 'expected an object { v: 1, op, p }'],
      [{ op: 'set', p: [] }, 'DECODE_FAILED', 'has version (v) undefined; expected 1, or a later integer'],
      [{ v: 1, op: 'nuke', p: [] }, 'DECODE_FAILED', `has op "nuke"; expected 'set', 'add' or 'del'`],
      [{ v: 1, op: 'add', p: { deep: { deeper: [1, [2, [3]]] } } }, 'DECODE_FAILED', 'for its pattern list (p); expected an array of patterns'],
      [{ v: 1, op: 'add', p: [[['nested']]] }, 'INVALID_ARGUMENT', 'expected a string'],
      [{ v: 1, op: 'set', p: [`x.${'y'.repeat(2000)}`] }, 'INVALID_ARGUMENT', 'at most 1024 are allowed'],
      [{ v: 1, op: 'del', p: ['a.>.b'] }, 'INVALID_ARGUMENT', "'>' may only be the last token"],
    ];
    for (const [i, [payload, code, message]] of cases.entries()) {
      const peer = await rawPeer(network, `bad${i}`);
      await peer.transport.send(hello(payload));
      await flush();
      expect(peer.got).toEqual([{ kind: Kind.Error, name: '', payload: expect.objectContaining({ code, message: expect.stringContaining(message) }) }]);
      expect(peer.transport.state).not.toBe('open');
    }
    expect(server.stats()).toMatchObject({ peersDropped: cases.length, interestsRefused: cases.length });
  });

  it('refuses a huge list by its length alone, tells the peer once for a flood of them, and keeps it', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 8 });
    const peer = await rawPeer(network, 'flood');
    const huge = new Array<number>(100_000).fill(0);
    for (let i = 0; i < 20; i++) await peer.transport.send(hello({ v: 1, op: i % 2 === 0 ? 'set' : 'add', p: huge }));
    await flush();
    expect(peer.got).toEqual([{ kind: Kind.Error, name: '', payload: expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('announced 100000 subscription patterns') }) }]);
    expect(server.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 20 });
    expect(peer.transport.state).toBe('open');
  });

  it('takes add/del churn and dels of patterns never added without refusing or growing what it sends', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network, { maxInterestsPerPeer: 4 });
    const peer = await rawPeer(network, 'churn');
    await peer.transport.send(hello({ v: 1, op: 'del', p: ['never.added', 'x.>'] }));
    for (let i = 0; i < 2000; i++) {
      await peer.transport.send(hello({ v: 1, op: 'add', p: [`t.${i}`] }));
      await peer.transport.send(hello({ v: 1, op: 'del', p: [`t.${i}`] }));
    }
    await peer.transport.send(hello({ v: 1, op: 'add', p: ['keep'] }));
    await flush();
    await server.publish('t.5', 1);
    await server.publish('keep', 2);
    await flush();
    expect(server.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 0 });
    expect(peer.got.map((m) => m.name)).toEqual(['keep']);
  });

  it('forgets what a peer announced when it leaves while its announcement waits in async middleware', async () => {
    const network = new MockNetwork({ seed: 3 });
    const server = await serverOn(network);
    const held: Array<() => Promise<void>> = [];
    server.use({ inbound: (message, next) => (message.kind === 'hello' ? new Promise<void>((resolve) => held.push(() => next().then(resolve))) : next()) });
    const gone = await rawPeer(network, 'gone');
    await gone.transport.send(hello({ v: 1, op: 'set', p: ['a'] }));
    await flush();
    expect(held).toHaveLength(1);
    await gone.transport.close();
    await flush();
    await held[0]!();
    await flush();
    const stays = await rawPeer(network, 'stays');
    const before = server.stats().framesOut;
    // A leftover pattern of the gone peer would make this a send to it alone, not the one to everyone connected.
    await server.publish('a', 1);
    await flush();
    expect(server.stats().framesOut - before).toBe(1);
    expect(stays.got.map((m) => m.name)).toEqual(['a']);
  });
});

describe('announcements to a bus that is no server', () => {
  it('are ignored: the client neither drops its server nor counts anything', async () => {
    const network = new MockNetwork({ seed: 3 });
    // The "server" speaks the wire by hand and announces to its client.
    const listener = network.listen('svc');
    const fromClient: number[] = [];
    listener.onFrame(({ data }) => void fromClient.push(decodeMessageFrame(data, codecs).kind));
    await listener.start();
    open.push(listener);
    const a = await clientOf(network, 'a');
    await flush();
    for (const payload of [{ v: 1, op: 'set', p: ['x'] }, { junk: [[[1]]] }, null]) await listener.send(hello(payload));
    await flush();
    expect(a.transport.state).toBe('open');
    expect(a.bus.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 0, decodeFailed: 0 });
    expect(fromClient.filter((k) => k === Kind.Error)).toEqual([]);
  });
});
