import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import type { MockTransport } from '@pipebus/transport-mock';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import type { Logger, MessageBusOptions } from '@pipebus/core';
import { INTEREST_HELLO, Kind, decodeMessageFrame, encodeMessageFrame } from '@pipebus/core/transport-kit';
import { eventsTo, flush } from './helpers.js';

// Interest routing: a bus on a server transport (MockNetwork.listen, like a
// named-pipe server) sends each event only to the clients whose announced
// patterns match; clients that announced nothing (older pipebus) get everything.

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

const codecs = new Map([[msgpackCodec.id, msgpackCodec]]);

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

async function star(clientCount: number, options: MessageBusOptions = {}, serverOptions: MessageBusOptions = {}, reconnect = true) {
  const network = new MockNetwork({ seed: 5 });
  const common = { clock: network.clock, logger: silentLogger, ...options };
  const server = new MessageBus(network.listen('svc'), { ...common, name: 'server', ...serverOptions });
  await server.start();
  open.push(server);
  const clients: Array<{ bus: MessageBus; transport: MockTransport; got: string[] }> = [];
  for (let i = 0; i < clientCount; i++) {
    const transport = network.connect('svc', { name: `c${i}`, reconnect });
    const bus = new MessageBus(transport, { ...common, name: `c${i}` });
    await bus.start();
    open.push(bus);
    clients.push({ bus, transport, got: [] });
  }
  return { network, server, clients };
}

describe('interest routing, publisher as the server', () => {
  it('sends an event only to clients whose patterns match (wildcards too); a client that did not subscribe receives nothing', async () => {
    const { network, server, clients } = await star(3);
    const [a, b, c] = clients as [(typeof clients)[0], (typeof clients)[0], (typeof clients)[0]];
    a.bus.subscribe('orders.>').subscribe((e) => a.got.push(e.topic));
    b.bus.subscribe('orders.*.created').subscribe((e) => b.got.push(e.topic));
    await flush();
    const before = server.stats().framesOut;
    for (const topic of ['orders.eu.created', 'orders.x', 'billing.paid']) await server.publish(topic, 1);
    await flush();
    expect(a.got).toEqual(['orders.eu.created', 'orders.x']);
    expect(b.got).toEqual(['orders.eu.created']);
    expect(eventsTo(network, a.transport)).toEqual(['orders.eu.created', 'orders.x']);
    expect(eventsTo(network, b.transport)).toEqual(['orders.eu.created']);
    expect(eventsTo(network, c.transport)).toEqual([]);
    // 3 frames, where sending to everyone took 9.
    expect(server.stats().framesOut - before).toBe(3);
  });

  it('sends once to everyone (the transport fans out) when every client matches, and not at all when none does', async () => {
    const { server, clients } = await star(2);
    for (const c of clients) c.bus.subscribe('a.>').subscribe();
    await flush();
    const sends: Array<string | undefined> = [];
    const send = server.transport.send.bind(server.transport);
    server.transport.send = (frame, to) => (sends.push(to), send(frame, to));
    await server.publish('a.b', 1);
    await server.publish('b', 2);
    expect(sends).toEqual([undefined]);
  });

  it('stops sending to a client once its last subscriber of a pattern unsubscribes', async () => {
    const { network, server, clients } = await star(1);
    const a = clients[0]!;
    const first = a.bus.subscribe('t').subscribe((e) => a.got.push(`first ${e.payload as number}`));
    const second = a.bus.subscribe('t').subscribe((e) => a.got.push(`second ${e.payload as number}`));
    await flush();
    await server.publish('t', 1);
    first.unsubscribe();
    await flush();
    await server.publish('t', 2);
    second.unsubscribe();
    await flush();
    await server.publish('t', 3);
    await flush();
    expect(a.got).toEqual(['first 1', 'second 1', 'second 2']);
    expect(eventsTo(network, a.transport)).toEqual(['t', 't']);
  });

  it('re-announces after a reconnect, and the server forgets a client that left', async () => {
    const { network, server, clients } = await star(1);
    const a = clients[0]!;
    a.bus.subscribe('a').subscribe((e) => a.got.push(e.topic));
    await flush();
    await network.disconnect('svc');
    await network.restore('svc');
    await flush();
    expect(a.transport.state).toBe('open');
    network.clearTraffic();
    await server.publish('a', 1);
    await server.publish('b', 2);
    await flush();
    // Without the new announcement the server would take the new link for an older client and send both.
    expect(eventsTo(network, a.transport)).toEqual(['a']);
    expect(a.got).toEqual(['a']);
  });

  it('still sends everything to an older client that never announces', async () => {
    const { network, server, clients } = await star(1);
    clients[0]!.bus.subscribe('x').subscribe();
    // A client that speaks the wire but has no interest routing: a bare transport.
    const old = network.connect('svc', { name: 'old' });
    const frames: string[] = [];
    old.onFrame(({ data }) => void frames.push(decodeMessageFrame(data, codecs).name));
    await old.start();
    open.push(old);
    await flush();
    await server.publish('x', 1);
    await server.publish('y', 2);
    await flush();
    expect(frames).toEqual(['x', 'y']);
    expect(eventsTo(network, clients[0]!.transport)).toEqual(['x']);
  });
});

describe('interest routing through a relay hub', () => {
  it('forwards a client event only to the clients that subscribed; with none interested it sends nothing', async () => {
    const { server: hub, clients } = await star(8, {}, { relay: true });
    const got: string[][] = clients.map(() => []);
    clients[1]!.bus.subscribe('chat.*').subscribe((e) => got[1]!.push(e.topic));
    clients[2]!.bus.subscribe('chat.>').subscribe((e) => got[2]!.push(e.topic));
    await flush();
    let before = hub.stats().framesOut;
    await clients[0]!.bus.publish('chat.room', 'hi');
    await flush();
    expect(got[1]).toEqual(['chat.room']);
    expect(got[2]).toEqual(['chat.room']);
    // 2 frames, where relaying to everyone took 7.
    expect(hub.stats().framesOut - before).toBe(2);
    expect(hub.stats().eventsRelayed).toBe(2);

    before = hub.stats().framesOut;
    await clients[0]!.bus.publish('news.today', 'nobody listens');
    await clients[3]!.bus.publish('news.today', 'nobody listens');
    await flush();
    expect(hub.stats().eventsReceived).toBe(3);
    expect(hub.stats().framesOut - before).toBe(0);
  });
});

describe('subscribe() after the link opened: a ping is the fence', () => {
  it('delivers every event the server publishes after the subscriber’s ping resolved', async () => {
    const { server, clients } = await star(2);
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    await flush();
    expect(a.transport.state).toBe('open');
    a.bus.subscribe('late.>').subscribe((e) => a.got.push(e.payload as string));
    await a.bus.ping();
    await server.publish('late.one', 'after the fence');
    await flush();
    expect(a.got).toEqual(['after the fence']);
    expect(b.bus.stats().eventsReceived).toBe(0);
  });

  it('through a hub: every event a publisher sends after the subscriber’s ping resolved reaches it', async () => {
    const { clients } = await star(3, {}, { relay: true });
    const [publisher, subscriber, idle] = clients as [(typeof clients)[0], (typeof clients)[0], (typeof clients)[0]];
    await flush();
    subscriber.bus.subscribe('news').subscribe((e) => subscriber.got.push(e.payload as string));
    await subscriber.bus.ping();
    await publisher.bus.publish('news', 'after the fence');
    await flush();
    expect(subscriber.got).toEqual(['after the fence']);
    expect(idle.bus.stats().eventsReceived).toBe(0);
  });
});

describe('interest announcements are bounded', () => {
  it('tells a client announcing more patterns than maxInterestsPerPeer why, once, and keeps it (sent everything)', async () => {
    const logger = recordingLogger();
    const { server, clients } = await star(1, { logger }, { maxInterestsPerPeer: 2, logger: silentLogger });
    const a = clients[0]!;
    a.bus.subscribe('one').subscribe();
    a.bus.subscribe('two').subscribe();
    await flush();
    expect(server.stats().interestsRefused).toBe(0);
    a.bus.subscribe('three').subscribe();
    a.bus.subscribe('four').subscribe();
    await flush();
    // Its next add changes a list the server no longer holds: nothing to refuse or tell.
    expect(server.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 1 });
    expect(a.transport.state).toBe('open');
    expect(logger.lines).toEqual([expect.stringContaining("peer reported a protocol error: INVALID_ARGUMENT: announced 3 subscription patterns, above this server's maxInterestsPerPeer 2")]);
  });

  it('rejects an announcement with an invalid pattern with INVALID_ARGUMENT, and takes an unknown format version for "everything"', async () => {
    const { network, server } = await star(0, {}, { maxInterestsPerPeer: 8 });
    const hello = (payload: unknown) => encodeMessageFrame({ kind: Kind.Hello, id: 0, name: INTEREST_HELLO, payload, headers: undefined }, msgpackCodec);
    const later = network.connect('svc', { name: 'later' });
    const laterGot: string[] = [];
    later.onFrame(({ data }) => void laterGot.push(decodeMessageFrame(data, codecs).name));
    const bad = network.connect('svc', { name: 'bad' });
    const badGot: unknown[] = [];
    bad.onFrame(({ data }) => void badGot.push(decodeMessageFrame(data, codecs).payload));
    await later.start();
    await bad.start();
    open.push(later, bad);
    await later.send(hello({ v: 1, op: 'set', p: ['only.this'] }));
    await later.send(hello({ v: 2, something: 'new' }));
    await bad.send(hello({ v: 1, op: 'add', p: ['a.>.b'] }));
    await flush();
    await server.publish('not.this', 1);
    await flush();
    expect(laterGot).toEqual(['not.this']);
    expect(badGot).toEqual([
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("announced an interest in an invalid pattern 'a.>.b': '>' may only be the last token") }),
    ]);
    expect(bad.state).not.toBe('open');
    expect(server.stats().peersDropped).toBe(1);
  });

  it('rejects a pattern longer than 1024 characters, and a set longer than maxInterestsPerPeer', async () => {
    const { network, server } = await star(0, {}, { maxInterestsPerPeer: 4 });
    const hello = (payload: unknown) => encodeMessageFrame({ kind: Kind.Hello, id: 0, name: INTEREST_HELLO, payload, headers: undefined }, msgpackCodec);
    const errors: unknown[] = [];
    for (const p of [[`a.${'b'.repeat(1023)}`], ['a', 'b', 'c', 'd', 'e']]) {
      const peer = network.connect('svc', { name: 'bad' });
      peer.onFrame(({ data }) => void errors.push(decodeMessageFrame(data, codecs).payload));
      await peer.start();
      open.push(peer);
      await peer.send(hello({ v: 1, op: 'set', p }));
      await flush();
    }
    expect(errors).toEqual([
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('it is 1025 characters long, at most 1024 are allowed') }),
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("announced 5 subscription patterns, above this server's maxInterestsPerPeer 4") }),
    ]);
    // The invalid pattern drops its peer; the long list only costs its peer the routing.
    expect(server.stats()).toMatchObject({ peersDropped: 1, interestsRefused: 2 });
  });
});
