import { describe, expect, it } from '@jest/globals';
import { BusError } from '../src/index.js';
import { FRAME_TAKEN, Kind, Transport } from '../src/transport-kit/index.js';
import type { Interest, PeerId, Route, TransportCapabilities } from '../src/transport-kit/index.js';

/** Records what reaches doSend / doSendRouted / doInterest. */
class RecordingTransport extends Transport {
  readonly capabilities: TransportCapabilities;
  readonly plain: Array<{ frame: Uint8Array; to?: PeerId }> = [];
  readonly routedSends: Array<{ frame: Uint8Array; route: Route; to?: PeerId }> = [];
  readonly interests: Interest[] = [];
  withdrawn = 0;
  constructor(capabilities: Partial<TransportCapabilities> = {}) {
    super();
    this.capabilities = { duplex: true, broadcast: true, maxFrameSize: 16, reliable: true, ordered: true, ...capabilities };
  }
  protected async doStart(): Promise<void> {}
  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    this.plain.push(to === undefined ? { frame } : { frame, to });
    return FRAME_TAKEN;
  }
  protected async doClose(): Promise<void> {}
}

class RoutedTransport extends RecordingTransport {
  constructor(capabilities: Partial<TransportCapabilities> = {}) {
    super({ routed: true, ...capabilities });
  }
  protected override doSendRouted(frame: Uint8Array, route: Route, to?: PeerId): Promise<void> {
    this.routedSends.push(to === undefined ? { frame, route } : { frame, route, to });
    return FRAME_TAKEN;
  }
  protected override doInterest(interest: Interest): () => void {
    this.interests.push(interest);
    return () => this.withdrawn++;
  }
}

const route: Route = { kind: Kind.Request, id: 7, name: 'orders.get' };
const frame = new Uint8Array([1, 2, 3]);

describe('Transport.sendRouted()', () => {
  it('hands the frame and its route to doSendRouted, returning its promise', async () => {
    const t = new RoutedTransport();
    await t.start();
    expect(t.sendRouted(frame, route, 'peer-a')).toBe(FRAME_TAKEN);
    expect(t.routedSends).toEqual([{ frame, route, to: 'peer-a' }]);
    expect(t.plain).toEqual([]);
  });

  it('falls back to doSend, the route unused, on a transport without doSendRouted', async () => {
    const t = new RecordingTransport();
    await t.start();
    await t.sendRouted(frame, route);
    expect(t.plain).toEqual([{ frame }]);
  });

  it("fails the way send() does on the same bad input", async () => {
    const t = new RoutedTransport({ maxFrameSize: 2 });
    await expect(t.sendRouted(frame.subarray(0, 1), route)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED', message: expect.stringContaining('before sendRouted()') });
    await t.start();
    await expect(t.sendRouted('x' as unknown as Uint8Array, route)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('sendRouted() takes a Uint8Array') });
    await expect(t.sendRouted(frame.subarray(0, 1), route, '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.sendRouted(frame, route)).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE', details: { size: 3, max: 2 } });
    await t.close();
    await expect(t.sendRouted(frame.subarray(0, 1), route)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED', message: 'cannot sendRouted: the transport is closed' });
    expect(t.routedSends).toEqual([]);
  });

  it('refuses a directed send on a one-way transport', async () => {
    const t = new RoutedTransport({ duplex: false });
    await t.start();
    await expect(t.sendRouted(frame, route, 'peer-a')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });

  it.each([
    ['no route', undefined],
    ['a kind outside the envelope kinds', { kind: 0, id: 1, name: 'm' }],
    ['a fractional id', { kind: Kind.Request, id: 1.5, name: 'm' }],
    ['a negative id', { kind: Kind.Request, id: -1, name: 'm' }],
    ['a name that is not a string', { kind: Kind.Event, id: 0, name: 5 }],
  ])('rejects %s with INVALID_ARGUMENT before sending', async (_what, bad) => {
    const t = new RoutedTransport();
    await t.start();
    const sent = t.sendRouted(frame, bad as unknown as Route);
    await expect(sent).rejects.toBeInstanceOf(BusError);
    await expect(sent).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('sendRouted()') });
    expect(t.routedSends).toEqual([]);
  });

  it('keeps send() as it was on a routed transport (the testkit and raw users call it)', async () => {
    const t = new RoutedTransport();
    await t.start();
    await t.send(frame, 'peer-a');
    expect(t.plain).toEqual([{ frame, to: 'peer-a' }]);
    await expect(t.send(new Uint8Array(17))).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });
});

describe('Transport.interest()', () => {
  it('is NOT_SUPPORTED on a transport that is not routed, saying why', () => {
    const t = new RecordingTransport();
    expect(() => t.interest({ kind: 'method', name: 'm' })).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED', message: expect.stringContaining('needs a routed transport') }));
  });

  it('is NOT_SUPPORTED on a transport that says routed but implements no doInterest', () => {
    const t = new RecordingTransport({ routed: true });
    expect(() => t.interest({ kind: 'method', name: 'm' })).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED', message: expect.stringContaining('implements no doInterest') }));
  });

  it('declares before start(), passes a copy to doInterest, and withdraws once', () => {
    const t = new RoutedTransport();
    const asked = { kind: 'topic', name: 'orders.*', queue: 'workers', id: 3, extra: 1 } as Interest;
    const withdraw = t.interest(asked);
    expect(t.interests).toEqual([{ kind: 'topic', name: 'orders.*', queue: 'workers', id: 3 }]);
    t.interest({ kind: 'method', name: 'orders.get' });
    expect(t.interests[1]).toEqual({ kind: 'method', name: 'orders.get' });
    expect('queue' in t.interests[1]!).toBe(false);
    withdraw();
    withdraw();
    expect(t.withdrawn).toBe(1);
  });

  it.each([
    ['no interest', undefined],
    ['an unknown kind', { kind: 'queue', name: 'm' }],
    ['an empty name', { kind: 'method', name: '' }],
    ['an empty queue', { kind: 'method', name: 'm', queue: '' }],
    ['a queue that is not a string', { kind: 'topic', name: 'a.>', queue: 3 }],
    ['a fractional id', { kind: 'topic', name: 'a.>', id: 1.5 }],
  ])('rejects %s with INVALID_ARGUMENT', (_what, bad) => {
    const t = new RoutedTransport();
    expect(() => t.interest(bad as unknown as Interest)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('interest()') }));
    expect(t.interests).toEqual([]);
  });

  it('is TRANSPORT_CLOSED once closed', async () => {
    const t = new RoutedTransport();
    await t.close();
    expect(() => t.interest({ kind: 'method', name: 'm' })).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }));
  });
});
