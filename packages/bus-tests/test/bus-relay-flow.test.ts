import { BusError, MessageBus, msgpackCodec } from '@pipebus/core';
import type { Logger } from '@pipebus/core';
import { FRAME_TAKEN, Kind, Transport, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { PeerId, TransportCapabilities } from '@pipebus/core/transport-kit';
import { VirtualClock } from '@pipebus/transport-mock';
import { flush } from './helpers.js';

/**
 * A relaying bus's flow control (bus/relay-flow.ts) over a server transport
 * whose links the test fills and drains by hand: a send to a "full" peer
 * waits until the test lets it go, and `holdInbound` is counted.
 */
class HandServer extends Transport {
  readonly capabilities: TransportCapabilities = { duplex: true, broadcast: true, maxFrameSize: 1 << 20, reliable: true, ordered: true, server: true };
  /** Peers whose link is full: sends to them wait in `waits`. */
  readonly full = new Set<PeerId>();
  readonly waits = new Map<PeerId, { resolve: () => void; reject: (e: Error) => void }[]>();
  /** Holds on reading, per sender: how many are out. */
  readonly holds = new Map<PeerId, number>();
  holdCalls = 0;

  connect(id: PeerId): void {
    this.emitPeer({ type: 'connected', peer: { id } });
  }

  /** An event from `from`, as the transport would hand it over. */
  event(from: PeerId, topic: string, payload: unknown = 1): void {
    this.emitFrame({ data: encodeMessageFrame({ kind: Kind.Event, id: 0, name: topic, payload, headers: undefined }, msgpackCodec), peer: { id: from } });
  }

  /** Lets `count` (default all) waiting sends to `peer` through, oldest first. */
  drain(peer: PeerId, count = Infinity): void {
    const queue = this.waits.get(peer) ?? [];
    for (const wait of queue.splice(0, count)) wait.resolve();
  }

  fail(peer: PeerId): void {
    for (const wait of this.waits.get(peer)?.splice(0) ?? []) wait.reject(new BusError('TRANSPORT_CLOSED', 'dropped'));
  }

  held(peer: PeerId): number {
    return this.holds.get(peer) ?? 0;
  }

  protected async doStart(): Promise<void> {
    this.setState('open');
  }

  protected doSend(_frame: Uint8Array, to?: PeerId): Promise<void> {
    if (to === undefined || !this.full.has(to)) return FRAME_TAKEN;
    return new Promise<void>((resolve, reject) => {
      const queue = this.waits.get(to) ?? [];
      queue.push({ resolve, reject });
      this.waits.set(to, queue);
    });
  }

  protected override doHoldInbound(peer: PeerId): () => void {
    this.holdCalls++;
    this.holds.set(peer, this.held(peer) + 1);
    return () => this.holds.set(peer, this.held(peer) - 1);
  }

  protected async doClose(): Promise<void> {}
}

const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} };

async function hub(relayHoldTimeout?: number): Promise<{ bus: MessageBus; t: HandServer; clock: VirtualClock }> {
  const clock = new VirtualClock();
  const t = new HandServer();
  const bus = new MessageBus(t, { relay: true, clock, logger, ...(relayHoldTimeout !== undefined && { relayHoldTimeout }) });
  await bus.start();
  for (const id of ['pub', 'a', 'b']) t.connect(id);
  return { bus, t, clock };
}

beforeEach(() => {
  warnings.length = 0;
});

describe('relay flow control', () => {
  it('stops reading a sender while an event it sent waits for a full receiver, and reads it again once the receiver took it', async () => {
    const { bus, t } = await hub();
    t.full.add('a');
    t.event('pub', 'x');
    t.event('pub', 'x');
    // One hold for the sender, however many of its events wait.
    expect(t.held('pub')).toBe(1);
    expect(t.holdCalls).toBe(1);
    expect(bus.stats()).toMatchObject({ eventsRelayed: 4, relayHolds: 1 });
    t.drain('a', 1);
    await flush();
    expect(t.held('pub')).toBe(1);
    t.drain('a');
    await flush();
    expect(t.held('pub')).toBe(0);
    await bus.close();
  });

  it('never holds for a receiver that took the frame at once', async () => {
    const { bus, t } = await hub();
    for (let i = 0; i < 100; i++) t.event('pub', 'x');
    expect(t.holdCalls).toBe(0);
    expect(bus.stats().relayHolds).toBe(0);
    await bus.close();
  });

  it('ends a hold after relayHoldTimeout ms in which no receiver took anything, and waits no more for that receiver until it drained', async () => {
    const { bus, t, clock } = await hub(1000);
    t.full.add('a');
    t.event('pub', 'x');
    await clock.advance(999);
    expect(t.held('pub')).toBe(1);
    await clock.advance(1);
    expect(t.held('pub')).toBe(0);
    expect(warnings.join('\n')).toMatch(/relay: a took nothing for 1000 ms \(relayHoldTimeout\); pub is read again/);
    // Still behind: its transport's own bound decides now, the sender is not held for it.
    t.event('pub', 'x');
    expect(t.held('pub')).toBe(0);
    expect(t.holdCalls).toBe(1);
    // Once it drained everything, it is waited for again.
    t.drain('a');
    await flush();
    t.event('pub', 'x');
    expect(t.held('pub')).toBe(1);
    expect(t.holdCalls).toBe(2);
    await bus.close();
  });

  it('counts the timeout from the last progress, not from the start of the hold', async () => {
    const { bus, t, clock } = await hub(1000);
    t.full.add('a');
    t.event('pub', 'x');
    t.event('pub', 'x');
    await clock.advance(900);
    t.drain('a', 1);
    await flush();
    await clock.advance(900);
    // 1800 ms held, but 900 since the receiver took a frame.
    expect(t.held('pub')).toBe(1);
    await clock.advance(100);
    expect(t.held('pub')).toBe(0);
    await bus.close();
  });

  it('a slow receiver holds only the senders whose events wait for it; another sender is read on', async () => {
    const { bus, t } = await hub();
    t.full.add('a');
    t.event('pub', 'x');
    t.full.delete('a');
    t.full.add('pub');
    t.event('b', 'x');
    expect(t.held('pub')).toBe(1);
    // b's event waits for pub's full link: b is held too, separately.
    expect(t.held('b')).toBe(1);
    t.drain('pub');
    await flush();
    expect(t.held('b')).toBe(0);
    expect(t.held('pub')).toBe(1);
    await bus.close();
  });

  it('a receiver dropped while events wait for it releases the sender, and the loss is counted', async () => {
    const { bus, t } = await hub();
    t.full.add('a');
    t.event('pub', 'x');
    t.fail('a');
    await flush();
    expect(t.held('pub')).toBe(0);
    expect(bus.stats().relayFailed).toBe(1);
    await bus.close();
  });

  it('relayHoldTimeout 0 never holds a sender', async () => {
    const { bus, t } = await hub(0);
    t.full.add('a');
    t.event('pub', 'x');
    expect(t.holdCalls).toBe(0);
    t.drain('a');
    await bus.close();
  });

  it('closing the bus releases every hold', async () => {
    const { bus, t } = await hub();
    t.full.add('a');
    t.event('pub', 'x');
    expect(t.held('pub')).toBe(1);
    await bus.close();
    expect(t.held('pub')).toBe(0);
  });

  it('refuses a relayHoldTimeout that is not an integer from 0 to 2^31-1 ms', () => {
    for (const bad of [-1, 1.5, 2 ** 31, '10', Number.NaN]) {
      expect(() => new MessageBus(new HandServer(), { relay: true, relayHoldTimeout: bad as number })).toThrow(/options\.relayHoldTimeout must be an integer from 0 to 2147483647/);
    }
  });
});
