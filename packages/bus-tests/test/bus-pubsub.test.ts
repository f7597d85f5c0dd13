import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BusError, MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { Kind, Transport, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { BusEvent, PeerId, TransportCapabilities } from '@pipebus/core';
import { busPair, flush } from './helpers.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

describe('publish/subscribe', () => {
  it('delivers to peers by NATS-style wildcards', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    const star: string[] = [];
    const rest: string[] = [];
    const exact: string[] = [];
    pair.server.subscribe('orders.*').subscribe((e) => star.push(e.topic));
    pair.server.subscribe('orders.>').subscribe((e) => rest.push(e.topic));
    pair.server.subscribe('orders.eu.created').subscribe((e) => exact.push(e.topic));
    for (const topic of ['orders.new', 'orders.eu.created', 'orders', 'billing.paid']) await pair.client.publish(topic, { topic });
    await flush();
    expect(star).toEqual(['orders.new']);
    expect(rest).toEqual(['orders.new', 'orders.eu.created']);
    expect(exact).toEqual(['orders.eu.created']);
  });

  it('gives subscribers the payload, headers and publishing peer', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    const received = firstValueFrom(pair.server.subscribe<{ id: number }>('a.b'));
    await pair.client.publish('a.b', { id: 7 }, { headers: { source: 'test' } });
    const event: BusEvent<{ id: number }> = await received;
    expect(event).toMatchObject({ topic: 'a.b', payload: { id: 7 }, headers: { source: 'test' } });
    expect(event.peer?.id).toBeDefined();
  });

  it('delivers to its own subscribers unless localDelivery is off', async () => {
    const network = new MockNetwork({ seed: 1 });
    const bus = new MessageBus(network.join('ev'), { clock: network.clock, logger: silentLogger });
    const quiet = new MessageBus(network.join('ev'), { clock: network.clock, logger: silentLogger, localDelivery: false });
    cleanup.push(() => bus.close(), () => quiet.close());
    const own: unknown[] = [];
    const quietOwn: unknown[] = [];
    bus.subscribe('x').subscribe((e) => own.push(e.payload));
    quiet.subscribe('x').subscribe((e) => quietOwn.push(e.peer === undefined ? 'self' : 'peer'));
    await quiet.start();
    await bus.publish('x', 1);
    await quiet.publish('x', 2);
    await flush();
    expect(own).toEqual([1, 2]);
    expect(quietOwn).toEqual(['peer']);
  });

  it('stops delivering after unsubscribe and completes subscriptions on close', async () => {
    const pair = await busPair();
    const got: unknown[] = [];
    let completed = false;
    const sub = pair.server.subscribe('t').subscribe({ next: (e) => got.push(e.payload), complete: () => (completed = true) });
    await pair.client.publish('t', 1);
    await flush();
    sub.unsubscribe();
    await pair.client.publish('t', 2);
    await flush();
    expect(got).toEqual([1]);
    const live = pair.server.subscribe('t').subscribe({ complete: () => (completed = true) });
    await pair.close();
    expect(completed).toBe(true);
    expect(live.closed).toBe(true);
  });

  it('relays events between clients through a hub bus', async () => {
    const network = new MockNetwork({ seed: 1 });
    const opts = { clock: network.clock, logger: silentLogger };
    const hub = new MessageBus(network.listen('hub'), { ...opts, relay: true });
    await hub.start();
    const a = new MessageBus(network.connect('hub'), opts);
    const b = new MessageBus(network.connect('hub'), opts);
    const c = new MessageBus(network.connect('hub'), opts);
    await Promise.all([a.start(), b.start(), c.start()]);
    cleanup.push(() => hub.close(), () => a.close(), () => b.close(), () => c.close());
    const atB = firstValueFrom(b.subscribe('chat.>').pipe(take(2), toArray()));
    const atC = firstValueFrom(c.subscribe('chat.>').pipe(take(2), toArray()));
    const atA: unknown[] = [];
    a.subscribe('chat.>').subscribe((e) => atA.push(e.peer === undefined ? 'self' : 'echo'));
    await a.publish('chat.room1', 'hi');
    await a.publish('chat.room2', 'there');
    expect((await atB).map((e) => e.payload)).toEqual(['hi', 'there']);
    expect((await atC).map((e) => e.topic)).toEqual(['chat.room1', 'chat.room2']);
    await flush();
    // The publisher sees its own events once (locally), never echoed back by the hub.
    expect(atA).toEqual(['self', 'self']);
    expect(hub.stats().eventsRelayed).toBe(4);
  });

  it('validates topics and patterns', async () => {
    const pair = await busPair();
    cleanup.push(() => pair.close());
    expect(() => pair.client.subscribe('a.>.b')).toThrow(BusError);
    expect(() => pair.client.subscribe('a.>.b')).toThrow(/'>' may only be the last token/);
    await expect(pair.client.publish('a.*')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pair.client.publish('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pair.client.publish('a', 1, { headers: { n: 1 } as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

/** A server transport with three peers whose frames the test hands in, and which records what is sent. */
class HubTransport extends Transport {
  readonly capabilities: TransportCapabilities = { duplex: true, broadcast: false, maxFrameSize: 16 * 1024 * 1024, reliable: true, ordered: true, server: true };
  readonly sent: Array<{ frame: Uint8Array; to?: PeerId }> = [];
  protected async doStart(): Promise<void> {
    for (const id of ['a', 'b', 'c']) this.emitPeer({ type: 'connected', peer: { id } });
  }
  protected async doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    this.sent.push(to === undefined ? { frame } : { frame, to });
  }
  protected async doClose(): Promise<void> {}
  receive(data: Uint8Array, from: PeerId): void {
    this.emitFrame({ data, peer: { id: from } });
  }
}

describe('publish on a started bus', () => {
  it('hands its frame to the transport before returning, so it leaves in program order with what follows', async () => {
    const transport = new HubTransport();
    const bus = new MessageBus(transport, { logger: silentLogger });
    cleanup.push(() => bus.close());
    await bus.start();
    const published = bus.publish('a.b', 1);
    expect(transport.sent).toHaveLength(1);
    const second = bus.publish('a.c', 2);
    expect(transport.sent).toHaveLength(2);
    await Promise.all([published, second]);
    // A rejected publish still rejects, never throws.
    await bus.close();
    await expect(bus.publish('a.b', 3)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});

describe('relay', () => {
  it('queues a copy of just the frame when it is a view into a larger read, one copy for every peer', async () => {
    const transport = new HubTransport();
    const hub = new MessageBus(transport, { logger: silentLogger, relay: true });
    cleanup.push(() => hub.close());
    await hub.start();
    const event = encodeMessageFrame({ kind: Kind.Event, id: 0, name: 'a.b', payload: 1, headers: undefined }, msgpackCodec);
    // What a stream transport hands over: one frame inside a 64 KiB socket read.
    const read = new Uint8Array(65536);
    read.set(event, 100);
    transport.receive(read.subarray(100, 100 + event.byteLength), 'a');
    await flush();
    expect(transport.sent.map((s) => s.to)).toEqual(['b', 'c']);
    const [b, c] = transport.sent.map((s) => s.frame);
    expect(b!.buffer.byteLength).toBe(event.byteLength);
    expect(c).toBe(b);
    expect([...b!]).toEqual([...event]);

    // A frame that owns its whole buffer is relayed as it is.
    transport.sent.length = 0;
    const whole = new Uint8Array(event);
    transport.receive(whole, 'b');
    await flush();
    expect(transport.sent.map((s) => s.frame)).toEqual([whole, whole]);
    expect(transport.sent[0]!.frame).toBe(whole);
  });
});
