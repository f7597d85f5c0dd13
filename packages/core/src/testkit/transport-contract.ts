import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import type { PeerEvent, Transport, TransportCapabilities, TransportState } from '../transport/index.js';
import { expectBusError, waitFor, type WaitPolicy } from './bounded-wait.js';

/**
 * Two transports that can talk to each other, neither started yet. `a` is the
 * listening (or reading) side, `b` the connecting (or writing) side.
 */
export interface TransportPair {
  readonly a: Transport;
  readonly b: Transport;
  /** Frees what the factory made beyond the two transports (a network, a temp dir). Called after both are closed. */
  readonly dispose?: () => Promise<void>;
}

/** The capabilities that choose which conditional cases of the contract run. */
export type ContractCapabilities = Pick<TransportCapabilities, 'duplex' | 'broadcast' | 'reliable' | 'ordered'>;

/** Tuning of {@link describeTransportContract}. */
export interface ContractOptions {
  /** Jest timeout of each case, its setup and its teardown, in real ms. Default 5000. */
  readonly timeoutMs?: number;
  /**
   * What the pair declares. The suite picks its conditional cases (duplex,
   * ordered, broadcast) when jest collects tests, before any pair exists, so
   * an async factory must state them here; a synchronous factory may leave it
   * out and is probed once. The suite checks the pair declares exactly these.
   */
  readonly capabilities?: ContractCapabilities;
  /**
   * Called repeatedly while the suite waits for a frame or event: for
   * transports that only make progress when pumped (a virtual clock with
   * delays, say `() => network.clock.advance(5)`). Not needed when delivery
   * happens by itself.
   */
  readonly settle?: () => Promise<void>;
  /** Frames in the in-order delivery case. Default 200. */
  readonly orderedFrameCount?: number;
}

/** Largest frame the in-order case sends, so a 1 MiB transport does not push 100 MB through a test. */
const ORDERED_CASE_MAX_FRAME = 4096;

/**
 * Defines a jest `describe` block of behaviour every {@link Transport} must
 * show: lifecycle and state reporting, byte-exact delivery, frame size limits,
 * argument validation, close semantics, and — where the capabilities say so —
 * answering a peer, in-order delivery and peer events. Each case builds a
 * fresh pair, starts `a` then `b`, and closes both (then calls `dispose`)
 * afterwards. Waits are bounded, so a broken transport fails with a message
 * naming what never happened rather than hanging.
 *
 * @example The named-pipe transport's run (its `test/contract.test.ts` adds
 * a smaller `maxFrameSize` and a private runtime directory)
 * ```ts
 * import { describeTransportContract } from '@pipebus/core/testkit';
 * import { NamedPipeClient, NamedPipeServer } from '@pipebus/transport-namedpipe';
 *
 * let n = 0;
 * describeTransportContract('named pipe', () => {
 *   const address = `pipe://contract-${process.pid}-${n++}`;
 *   return { a: new NamedPipeServer({ address }), b: new NamedPipeClient({ address }) };
 * }, { capabilities: { duplex: true, broadcast: false, reliable: true, ordered: true } });
 * ```
 */
export function describeTransportContract(
  name: string,
  factory: () => Promise<TransportPair> | TransportPair,
  options: ContractOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const wait: WaitPolicy = {
    // Below jest's timeout, so this message, not jest's, reports a hang.
    boundMs: Math.max(1, Math.floor(timeoutMs * 0.8)),
    ...(options.settle !== undefined && { settle: options.settle }),
  };
  const caps = options.capabilities ?? probeCapabilities(name, factory);
  const count = options.orderedFrameCount ?? 200;

  describe(`${name}: transport contract`, () => {
    let pair: TransportPair;
    const a = (): Transport => pair.a;
    const b = (): Transport => pair.b;
    const startBoth = async (): Promise<void> => {
      await pair.a.start();
      await pair.b.start();
    };
    const send = async (bytes: Uint8Array, to?: string): Promise<void> => {
      await waitFor(`b.send() of ${bytes.byteLength} bytes to be accepted`, to === undefined ? pair.b.send(bytes) : pair.b.send(bytes, to), wait);
    };
    const nextFrameOnA = () => firstValueFrom(pair.a.frames$);

    beforeEach(async () => {
      pair = await factory();
    }, timeoutMs);

    afterEach(async () => {
      try {
        await Promise.allSettled([pair.b.close(), pair.a.close()]);
      } finally {
        await pair.dispose?.();
      }
    }, timeoutMs);

    it('declares the capabilities the suite chose its cases by', () => {
      const declared = a().capabilities;
      expect({ duplex: declared.duplex, broadcast: declared.broadcast, reliable: declared.reliable, ordered: declared.ordered }).toEqual({ ...caps });
      expect(Number.isInteger(b().capabilities.maxFrameSize) && b().capabilities.maxFrameSize > 0).toBe(true);
    });

    it('is idle before start(), open after it, and replays the current state to a late subscriber', async () => {
      expect([a().state, b().state]).toEqual(['idle', 'idle']);
      expect(await firstValueFrom(a().state$)).toBe('idle');
      await startBoth();
      expect([a().state, b().state]).toEqual(['open', 'open']);
      expect(await firstValueFrom(a().state$)).toBe('open');
      expect(await firstValueFrom(b().state$)).toBe('open');
    }, timeoutMs);

    it('reports the same state changes on the events emitter as on state$', async () => {
      const observed: TransportState[] = [];
      const emitted: TransportState[] = [];
      a().state$.subscribe((s) => observed.push(s));
      a().events.on('state', (s) => emitted.push(s));
      await startBoth();
      await a().close();
      expect(observed[0]).toBe('idle'); // the replayed state, which the emitter never repeats
      expect(emitted).toEqual(observed.slice(1));
      expect(emitted).toContain('open');
      expect(emitted.at(-1)).toBe('closed');
    }, timeoutMs);

    it('delivers a frame from b to a byte for byte, naming the sender in peer.id', async () => {
      await startBoth();
      const arriving = nextFrameOnA();
      const sent = patternFrame(Math.min(300, b().capabilities.maxFrameSize), 1);
      await send(sent);
      const frame = await waitFor('a frame from b on a.frames$', arriving, wait);
      expectSameBytes(frame.data, sent, 'the frame a received');
      expect(typeof frame.peer.id).toBe('string');
      expect(frame.peer.id.length).toBeGreaterThan(0);
    }, timeoutMs);

    it('delivers a frame of exactly maxFrameSize bytes', async () => {
      await startBoth();
      const max = b().capabilities.maxFrameSize;
      const arriving = nextFrameOnA();
      const sent = patternFrame(max, 2);
      await send(sent);
      const frame = await waitFor(`a frame of maxFrameSize (${max}) bytes on a.frames$`, arriving, wait);
      expectSameBytes(frame.data, sent, 'the maxFrameSize frame a received');
    }, timeoutMs);

    it('rejects a frame of maxFrameSize + 1 bytes with FRAME_TOO_LARGE before sending anything', async () => {
      await startBoth();
      const max = b().capabilities.maxFrameSize;
      const arriving = nextFrameOnA();
      await expectBusError(b().send(new Uint8Array(max + 1)), 'FRAME_TOO_LARGE', `b.send() of ${max + 1} bytes`);
      // If the oversized frame leaked out, it would arrive before this marker.
      const marker = Uint8Array.of(0x6d, 0x61, 0x72, 0x6b);
      await send(marker);
      const first = await waitFor('the marker frame sent after the rejected one', arriving, wait);
      expectSameBytes(first.data, marker, 'the first frame a received after an oversized send');
    }, timeoutMs);

    it('rejects a frame that is not a Uint8Array with INVALID_ARGUMENT', async () => {
      await startBoth();
      await expectBusError(b().send('not bytes' as unknown as Uint8Array), 'INVALID_ARGUMENT', 'b.send() of a string');
      await expectBusError(b().send([1, 2, 3] as unknown as Uint8Array), 'INVALID_ARGUMENT', 'b.send() of an array');
    }, timeoutMs);

    (caps.duplex ? it : it.skip)('answers the sender through frame.peer.id (duplex)', async () => {
      await startBoth();
      const atA = nextFrameOnA();
      await send(Uint8Array.of(1, 2, 3));
      const question = await waitFor('the question from b on a.frames$', atA, wait);
      const atB = firstValueFrom(b().frames$);
      const answer = Uint8Array.of(3, 2, 1);
      await waitFor('a.send() of the answer to be accepted', a().send(answer, question.peer.id), wait);
      const received = await waitFor(`the answer from a on b.frames$ (sent to peer '${question.peer.id}')`, atB, wait);
      expectSameBytes(received.data, answer, 'the answer b received');
      expect(received.peer.id.length).toBeGreaterThan(0);
    }, timeoutMs);

    (caps.reliable && caps.ordered ? it : it.skip)(`delivers ${count} frames of varying sizes complete and in order (reliable, ordered)`, async () => {
      await startBoth();
      const cap = Math.min(b().capabilities.maxFrameSize, ORDERED_CASE_MAX_FRAME);
      const frames = Array.from({ length: count }, (_, i) => indexedFrame(i, cap));
      const all = firstValueFrom(a().frames$.pipe(take(count), toArray()));
      for (const frame of frames) await send(frame);
      const received = await waitFor(`all ${count} frames on a.frames$`, all, wait);
      const wrong = received.flatMap((f, i) => (sameBytes(f.data, frames[i]!) ? [] : [i]));
      expect({ framesOutOfPlaceOrDamaged: wrong }).toEqual({ framesOutOfPlaceOrDamaged: [] });
    }, timeoutMs);

    (caps.broadcast ? it : it.skip)('delivers a send that names no peer to the other side (broadcast)', async () => {
      await startBoth();
      const arriving = nextFrameOnA();
      const sent = patternFrame(Math.min(64, b().capabilities.maxFrameSize), 3);
      await waitFor('b.send() without a destination to be accepted', b().send(sent), wait);
      const frame = await waitFor('the broadcast frame on a.frames$', arriving, wait);
      expectSameBytes(frame.data, sent, 'the broadcast frame a received');
    }, timeoutMs);

    it('closes idempotently, completing frames$ and ending in state closed', async () => {
      await startBoth();
      let completed = false;
      a().frames$.subscribe({ complete: () => (completed = true) });
      await Promise.all([a().close(), a().close()]);
      await a().close();
      expect(completed).toBe(true);
      expect(a().state).toBe('closed');
      await b().close();
      expect(b().state).toBe('closed');
    }, timeoutMs);

    it('rejects send after close with TRANSPORT_CLOSED', async () => {
      await startBoth();
      await b().close();
      await expectBusError(b().send(Uint8Array.of(1)), 'TRANSPORT_CLOSED', 'b.send() after b.close()');
      await a().close();
      await expectBusError(a().send(Uint8Array.of(1)), 'TRANSPORT_CLOSED', 'a.send() after a.close()');
    }, timeoutMs);

    it('rejects start after close with TRANSPORT_CLOSED', async () => {
      await startBoth();
      await Promise.all([b().close(), a().close()]);
      await expectBusError(a().start(), 'TRANSPORT_CLOSED', 'a.start() after a.close()');
      await expectBusError(b().start(), 'TRANSPORT_CLOSED', 'b.start() after b.close()');
    }, timeoutMs);

    (caps.duplex ? it : it.skip)("reports a peer 'connected' on a when b connects (duplex)", async () => {
      await a().start();
      const connected = firstValueFrom(a().peers$.pipe(filter((e) => e.type === 'connected')));
      await b().start();
      const event = await waitFor("a 'connected' event on a.peers$", connected, wait);
      expect(event.peer.id.length).toBeGreaterThan(0);
    }, timeoutMs);

    (caps.duplex ? it : it.skip)("reports the peer 'disconnected' on a when b closes (duplex)", async () => {
      await a().start();
      const connected = firstValueFrom(a().peers$.pipe(filter((e) => e.type === 'connected')));
      await b().start();
      const { peer } = await waitFor("a 'connected' event on a.peers$", connected, wait);
      const gone = firstValueFrom(a().peers$.pipe(filter((e: PeerEvent) => e.type === 'disconnected' && e.peer.id === peer.id)));
      await b().close();
      await waitFor(`a 'disconnected' event for '${peer.id}' on a.peers$`, gone, wait);
    }, timeoutMs);
  });
}

/**
 * Reads capabilities from one pair made at collection time. Transports must
 * not acquire resources before start(), so making and closing one is cheap.
 */
function probeCapabilities(name: string, factory: () => Promise<TransportPair> | TransportPair): ContractCapabilities {
  const made = factory();
  if (made instanceof Promise || typeof (made as { then?: unknown }).then === 'function') {
    void Promise.resolve(made).then(disposeProbe, () => undefined);
    throw new Error(
      `describeTransportContract('${name}'): the factory is async, so the suite cannot read the capabilities when jest collects tests; pass options.capabilities`,
    );
  }
  const { duplex, broadcast, reliable, ordered } = made.a.capabilities;
  void disposeProbe(made);
  return { duplex, broadcast, reliable, ordered };
}

async function disposeProbe(pair: TransportPair): Promise<void> {
  await Promise.allSettled([pair.a.close(), pair.b.close()]);
  await pair.dispose?.().catch(() => undefined);
}

/** A frame of `size` bytes whose content depends on `salt`, so frames differ. */
function patternFrame(size: number, salt: number): Uint8Array {
  const frame = new Uint8Array(size);
  for (let i = 0; i < size; i++) frame[i] = (i * 31 + salt * 7) & 0xff;
  return frame;
}

/** Frame `index` of the in-order case: its index in the first 4 bytes, a size that varies between 4 and `cap`. */
function indexedFrame(index: number, cap: number): Uint8Array {
  const size = Math.max(4, 4 + ((index * 7919) % Math.max(1, cap - 3)));
  const frame = patternFrame(Math.min(size, Math.max(4, cap)), index);
  new DataView(frame.buffer).setUint32(0, index);
  return frame;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.byteLength !== y.byteLength) return false;
  for (let i = 0; i < x.byteLength; i++) if (x[i] !== y[i]) return false;
  return true;
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (sameBytes(actual, expected)) return;
  let at = 0;
  while (at < Math.min(actual.byteLength, expected.byteLength) && actual[at] === expected[at]) at++;
  throw new Error(`${what} differs from what was sent: ${actual.byteLength} bytes received, ${expected.byteLength} sent, first difference at byte ${at}`);
}
