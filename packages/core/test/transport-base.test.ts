import { describe, expect, it, jest } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { BusError, MessageBus, msgpackCodec, silentLogger } from '../src/index.js';
import { Kind, Transport, encodeMessageFrame } from '../src/transport-kit/index.js';
import type { PeerId, TransportCapabilities } from '../src/index.js';

/** A transport whose start() waits until the test lets it finish. */
class GatedTransport extends Transport {
  readonly capabilities: TransportCapabilities;
  release: () => void = () => {};
  sent: Array<{ frame: Uint8Array; to?: PeerId }> = [];
  constructor(capabilities: Partial<TransportCapabilities> = {}) {
    super();
    this.capabilities = { duplex: true, broadcast: false, maxFrameSize: 16, reliable: true, ordered: true, ...capabilities };
  }
  protected doStart(): Promise<void> {
    return new Promise((resolve) => (this.release = resolve));
  }
  protected async doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    this.sent.push(to === undefined ? { frame } : { frame, to });
  }
  protected async doClose(): Promise<void> {}
  /** A frame arriving from a peer. */
  push(data: Uint8Array): void {
    this.emitFrame({ data, peer: { id: 'peer-1' } });
  }
}

describe('Transport base class', () => {
  it('replays closed to a subscriber that arrives after close()', async () => {
    const t = new GatedTransport();
    t.release();
    const starting = t.start();
    t.release();
    await starting;
    await t.close();
    await expect(firstValueFrom(t.state$)).resolves.toBe('closed');
  });

  it('rejects a start() that was still waiting when close() came', async () => {
    const t = new GatedTransport();
    const starting = t.start();
    const closing = t.close();
    t.release();
    await closing;
    await expect(starting).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(t.state).toBe('closed');
  });

  it('delivers each frame to a bus and to frames$ subscribers alike, and to none after close()', async () => {
    const t = new GatedTransport();
    const bus = new MessageBus(t, { logger: silentLogger });
    const events: string[] = [];
    bus.subscribe('a.b').subscribe((event) => events.push(`bus ${String(event.payload)}`));
    t.frames$.subscribe((frame) => events.push(`frames$ ${frame.data.byteLength}`));
    t.events.on('frame', (frame) => events.push(`event ${frame.data.byteLength}`));
    const starting = bus.start();
    t.release();
    await starting;
    const frame = encodeMessageFrame({ kind: Kind.Event, id: 0, name: 'a.b', payload: 'x', headers: undefined }, msgpackCodec);
    t.push(frame);
    expect(events).toEqual(['bus x', `frames$ ${frame.byteLength}`, `event ${frame.byteLength}`]);
    await bus.close();
    t.push(frame);
    expect(events).toHaveLength(3);
    expect(bus.stats().eventsReceived).toBe(1);
  });

  it('calls onFrame listeners before frames$, until each registration is stopped', () => {
    const t = new GatedTransport();
    const seen: string[] = [];
    t.frames$.subscribe(() => seen.push('frames$'));
    const stopA = t.onFrame(() => seen.push('a'));
    const b = (): void => void seen.push('b');
    const stopFirstB = t.onFrame(b);
    t.onFrame(b);
    t.push(new Uint8Array(1));
    expect(seen).toEqual(['a', 'b', 'b', 'frames$']);
    stopA();
    stopFirstB();
    // Stopping twice must not take b's other registration with it.
    stopFirstB();
    seen.length = 0;
    t.push(new Uint8Array(1));
    expect(seen).toEqual(['b', 'frames$']);
  });

  it('lets an onFrame listener stop itself while a frame is being delivered', () => {
    const t = new GatedTransport();
    const seen: string[] = [];
    const stop = t.onFrame(() => {
      seen.push('once');
      stop();
    });
    t.onFrame(() => seen.push('every'));
    t.push(new Uint8Array(1));
    t.push(new Uint8Array(1));
    expect(seen).toEqual(['once', 'every', 'every']);
  });

  it('still delivers to the other listeners and frames$ when one onFrame listener throws, and reports it', () => {
    const t = new GatedTransport();
    const seen: string[] = [];
    const errors: BusError[] = [];
    t.events.on('error', (error) => errors.push(error));
    t.onFrame(() => {
      throw new Error('boom');
    });
    t.onFrame(() => seen.push('bus'));
    t.frames$.subscribe(() => seen.push('frames$'));
    t.push(new Uint8Array(1));
    expect(seen).toEqual(['bus', 'frames$']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'INTERNAL' });
    expect(errors[0]!.message).toContain('an onFrame() listener threw: boom');
  });

  it("throws a listener's exception from a fresh task when nobody listens for errors", () => {
    jest.useFakeTimers();
    try {
      const t = new GatedTransport();
      const seen: string[] = [];
      t.onFrame(() => {
        throw new Error('unheard');
      });
      t.onFrame(() => seen.push('bus'));
      t.push(new Uint8Array(1));
      expect(seen).toEqual(['bus']);
      expect(() => jest.runOnlyPendingTimers()).toThrow('unheard');
    } finally {
      jest.useRealTimers();
    }
  });

  it('calls no onFrame listener after close(), whether added before or after it', async () => {
    const t = new GatedTransport();
    const seen: string[] = [];
    t.onFrame(() => seen.push('before'));
    await t.close();
    t.onFrame(() => seen.push('after'))();
    t.push(new Uint8Array(1));
    expect(seen).toEqual([]);
  });

  it('refuses an onFrame listener that is not a function with INVALID_ARGUMENT', () => {
    const t = new GatedTransport();
    let error: unknown;
    try {
      t.onFrame('listener' as never);
    } catch (caught) {
      error = caught;
    }
    expect(BusError.is(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('validates send() once for every transport', async () => {
    const t = new GatedTransport();
    await expect(t.send(new Uint8Array(1))).rejects.toThrow(/not started yet/);
    const starting = t.start();
    t.release();
    await starting;
    await expect(t.send('text' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.send(new Uint8Array(17))).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE' });
    await expect(t.send(new Uint8Array(1), '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await t.send(new Uint8Array(16), 'peer-1');
    expect(t.sent).toHaveLength(1);
    await t.close();
    await expect(t.send(new Uint8Array(1))).rejects.toBeInstanceOf(BusError);
    await expect(t.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });

  it('refuses a destination on a one-way transport with NOT_SUPPORTED', async () => {
    const t = new GatedTransport({ duplex: false, broadcast: true });
    const starting = t.start();
    t.release();
    await starting;
    await expect(t.send(new Uint8Array(1), 'someone')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await t.close();
  });

  it('makes close() idempotent and completes frames$', async () => {
    const t = new GatedTransport();
    let completed = false;
    t.frames$.subscribe({ complete: () => (completed = true) });
    await Promise.all([t.close(), t.close()]);
    expect(completed).toBe(true);
    await expect(t.start()).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
