import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { checkKnownKeys } from '../errors/index.js';
import type { PeerEvent, Transport, TransportCapabilities, TransportState } from '../transport/index.js';
import { expectBusError, waitFor, withDeadline, type WaitPolicy } from './bounded-wait.js';
import { check, checkEqual } from './checks.js';
import { resolveRunner, type TestBody, type TestRunner } from './runner.js';

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
  /**
   * Timeout of each case, its setup and its teardown, in real ms. Default
   * 5000. The suite enforces it itself under every runner, and gives jest and
   * vitest a second more as their own timeout, so its message comes first.
   */
  readonly timeoutMs?: number;
  /**
   * The test runner's functions, e.g. `{ describe, it, beforeEach, afterEach }`
   * from `'node:test'`, `'vitest'` or `'@jest/globals'`. When left out, the
   * suite uses the globals `describe`, `it` (or `test`), `beforeEach` and
   * `afterEach`, which jest defines by default and vitest with
   * `globals: true`; `node:test` defines none, so it must be passed.
   */
  readonly runner?: TestRunner;
  /**
   * What the pair declares. The suite picks its conditional cases (duplex,
   * ordered, broadcast) when the runner collects tests, before any pair exists, so
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

/** How much later than the suite's own deadline jest's or vitest's timeout fires: only a backstop. */
const RUNNER_GRACE_MS = 1000;

const OPTION_KEYS: ReadonlySet<string> = new Set(['timeoutMs', 'runner', 'capabilities', 'settle', 'orderedFrameCount']);

/**
 * Defines a `describe` block of behaviour every {@link Transport} must
 * show: lifecycle and state reporting, byte-exact delivery, frame size limits,
 * argument validation, close semantics, and — where the capabilities say so —
 * answering a peer, in-order delivery and peer events. Each case builds a
 * fresh pair, starts `a` then `b`, and closes both (then calls `dispose`)
 * afterwards. Waits are bounded, so a broken transport fails with a message
 * naming what never happened rather than hanging.
 *
 * It runs under jest, vitest and `node:test`: the runner's functions come
 * from `options.runner` or, when that is left out, from the globals (see
 * {@link ContractOptions.runner}). The suite makes its own assertions
 * (node's `AssertionError`), so no runner's `expect` is needed.
 *
 * @example Under node:test (`node --test`)
 * ```ts
 * import { describe, it, beforeEach, afterEach } from 'node:test';
 * import { describeTransportContract } from '@pipebus/core/testkit';
 * import { MockNetwork } from '@pipebus/transport-mock';
 *
 * describeTransportContract('mock', () => {
 *   const network = new MockNetwork();
 *   return { a: network.listen('x'), b: network.connect('x') };
 * }, { runner: { describe, it, beforeEach, afterEach } });
 * ```
 *
 * @example The named-pipe transport's run under jest (globals) (its `test/contract.test.ts` adds
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
  checkKnownKeys(`describeTransportContract('${name}')`, options, OPTION_KEYS);
  const run = resolveRunner(name, options.runner);
  const timeoutMs = options.timeoutMs ?? 5000;
  const runnerMs = timeoutMs + RUNNER_GRACE_MS;
  const wait: WaitPolicy = {
    // Below the case's deadline, so this message, naming what was awaited, reports a hang.
    boundMs: Math.max(1, Math.floor(timeoutMs * 0.8)),
    ...(options.settle !== undefined && { settle: options.settle }),
  };
  const caps = options.capabilities ?? probeCapabilities(name, factory);
  const count = options.orderedFrameCount ?? 200;

  /** Registers a case, or reports it skipped when the capabilities rule it out. */
  const test = (title: string, body: TestBody, enabled = true): void => {
    const timed = withDeadline(`the case '${title}'`, body, timeoutMs);
    if (enabled) run.it(title, timed, runnerMs);
    else run.skip?.(title, timed, runnerMs);
  };

  run.describe(`${name}: transport contract`, () => {
    let pair: TransportPair | undefined;
    const current = (): TransportPair => {
      if (pair === undefined) throw new Error(`describeTransportContract('${name}'): no pair (the factory failed in beforeEach)`);
      return pair;
    };
    const a = (): Transport => current().a;
    const b = (): Transport => current().b;
    const startBoth = async (): Promise<void> => {
      await a().start();
      await b().start();
    };
    const send = async (bytes: Uint8Array, to?: string): Promise<void> => {
      await waitFor(`b.send() of ${bytes.byteLength} bytes to be accepted`, to === undefined ? b().send(bytes) : b().send(bytes, to), wait);
    };
    const nextFrameOnA = () => firstValueFrom(a().frames$);

    const closePair = async (made: TransportPair): Promise<void> => {
      try {
        await Promise.allSettled([made.b.close(), made.a.close()]);
      } finally {
        await made.dispose?.();
      }
    };
    // Each beforeEach's factory call has a generation; afterEach ends it. A
    // factory that outlives its deadline (the case has failed already) and
    // resolves after its afterEach is closed on arrival, not left open or
    // taken for the next case's pair.
    let generation = 0;

    run.beforeEach(
      withDeadline('the factory (in beforeEach)', async () => {
        pair = undefined;
        const mine = ++generation;
        const made = await factory();
        if (mine === generation) pair = made;
        else await closePair(made);
      }, timeoutMs),
      runnerMs,
    );

    run.afterEach(
      withDeadline('closing the pair and dispose() (in afterEach)', async () => {
        generation++;
        const made = pair;
        pair = undefined;
        if (made !== undefined) await closePair(made);
      }, timeoutMs),
      runnerMs,
    );

    test('declares the capabilities the suite chose its cases by', () => {
      const declared = a().capabilities;
      checkEqual(
        { duplex: declared.duplex, broadcast: declared.broadcast, reliable: declared.reliable, ordered: declared.ordered },
        { ...caps },
        `a.capabilities (the suite chose its cases by ${options.capabilities === undefined ? 'a probed pair' : 'options.capabilities'})`,
      );
      const max = b().capabilities.maxFrameSize;
      check(Number.isInteger(max) && max > 0, 'b.capabilities.maxFrameSize should be a positive integer', max);
    });

    test('is idle before start(), open after it, and replays the current state to a late subscriber', async () => {
      checkEqual([a().state, b().state], ['idle', 'idle'], '[a.state, b.state] before start()');
      checkEqual(await firstValueFrom(a().state$), 'idle', 'the state a.state$ replays before start()');
      await startBoth();
      checkEqual([a().state, b().state], ['open', 'open'], '[a.state, b.state] after start()');
      checkEqual(await firstValueFrom(a().state$), 'open', 'the state a.state$ replays after start()');
      checkEqual(await firstValueFrom(b().state$), 'open', 'the state b.state$ replays after start()');
    });

    test('reports the same state changes on the events emitter as on state$', async () => {
      const observed: TransportState[] = [];
      const emitted: TransportState[] = [];
      a().state$.subscribe((s) => observed.push(s));
      a().events.on('state', (s) => emitted.push(s));
      await startBoth();
      await a().close();
      checkEqual(observed[0], 'idle', 'the first state on a.state$ (the replayed one, which the emitter never repeats)');
      checkEqual(emitted, observed.slice(1), "the 'state' events on a.events, compared with a.state$ after its replayed first value");
      check(emitted.includes('open'), "a.events should have emitted 'state' 'open' after start()", emitted);
      checkEqual(emitted.at(-1), 'closed', "the last 'state' event on a.events after close()");
    });

    test('delivers a frame from b to a byte for byte, naming the sender in peer.id', async () => {
      await startBoth();
      const arriving = nextFrameOnA();
      const sent = patternFrame(Math.min(300, b().capabilities.maxFrameSize), 1);
      await send(sent);
      const frame = await waitFor('a frame from b on a.frames$', arriving, wait);
      expectSameBytes(frame.data, sent, 'the frame a received');
      checkNonEmptyId(frame.peer.id, "the received frame's peer.id");
    });

    test('delivers a frame of exactly maxFrameSize bytes', async () => {
      await startBoth();
      const max = b().capabilities.maxFrameSize;
      const arriving = nextFrameOnA();
      const sent = patternFrame(max, 2);
      await send(sent);
      const frame = await waitFor(`a frame of maxFrameSize (${max}) bytes on a.frames$`, arriving, wait);
      expectSameBytes(frame.data, sent, 'the maxFrameSize frame a received');
    });

    test('rejects a frame of maxFrameSize + 1 bytes with FRAME_TOO_LARGE before sending anything', async () => {
      await startBoth();
      const max = b().capabilities.maxFrameSize;
      const arriving = nextFrameOnA();
      await expectBusError(b().send(new Uint8Array(max + 1)), 'FRAME_TOO_LARGE', `b.send() of ${max + 1} bytes`);
      // If the oversized frame leaked out, it would arrive before this marker.
      const marker = Uint8Array.of(0x6d, 0x61, 0x72, 0x6b);
      await send(marker);
      const first = await waitFor('the marker frame sent after the rejected one', arriving, wait);
      expectSameBytes(first.data, marker, 'the first frame a received after an oversized send');
    });

    test('rejects a frame that is not a Uint8Array with INVALID_ARGUMENT', async () => {
      await startBoth();
      await expectBusError(b().send('not bytes' as unknown as Uint8Array), 'INVALID_ARGUMENT', 'b.send() of a string');
      await expectBusError(b().send([1, 2, 3] as unknown as Uint8Array), 'INVALID_ARGUMENT', 'b.send() of an array');
    });

    test('answers the sender through frame.peer.id (duplex)', async () => {
      await startBoth();
      const atA = nextFrameOnA();
      await send(Uint8Array.of(1, 2, 3));
      const question = await waitFor('the question from b on a.frames$', atA, wait);
      const atB = firstValueFrom(b().frames$);
      const answer = Uint8Array.of(3, 2, 1);
      await waitFor('a.send() of the answer to be accepted', a().send(answer, question.peer.id), wait);
      const received = await waitFor(`the answer from a on b.frames$ (sent to peer '${question.peer.id}')`, atB, wait);
      expectSameBytes(received.data, answer, 'the answer b received');
      checkNonEmptyId(received.peer.id, "the answer's peer.id");
    }, caps.duplex);

    test(`delivers ${count} frames of varying sizes complete and in order (reliable, ordered)`, async () => {
      await startBoth();
      const cap = Math.min(b().capabilities.maxFrameSize, ORDERED_CASE_MAX_FRAME);
      const frames = Array.from({ length: count }, (_, i) => indexedFrame(i, cap));
      const all = firstValueFrom(a().frames$.pipe(take(count), toArray()));
      for (const frame of frames) await send(frame);
      const received = await waitFor(`all ${count} frames on a.frames$`, all, wait);
      const wrong = received.flatMap((f, i) => (sameBytes(f.data, frames[i]!) ? [] : [i]));
      check(wrong.length === 0, `all ${count} frames should arrive whole and in the order sent; frames out of place or damaged (by index)`, wrong);
    }, caps.reliable && caps.ordered);

    test('delivers a send that names no peer to the other side (broadcast)', async () => {
      await startBoth();
      const arriving = nextFrameOnA();
      const sent = patternFrame(Math.min(64, b().capabilities.maxFrameSize), 3);
      await waitFor('b.send() without a destination to be accepted', b().send(sent), wait);
      const frame = await waitFor('the broadcast frame on a.frames$', arriving, wait);
      expectSameBytes(frame.data, sent, 'the broadcast frame a received');
    }, caps.broadcast);

    test('closes idempotently, completing frames$ and ending in state closed', async () => {
      await startBoth();
      let completed = false;
      a().frames$.subscribe({ complete: () => (completed = true) });
      await Promise.all([a().close(), a().close()]);
      await a().close();
      check(completed, 'a.frames$ should complete when a closes', completed);
      checkEqual(a().state, 'closed', 'a.state after close()');
      await b().close();
      checkEqual(b().state, 'closed', 'b.state after close()');
    });

    test('rejects send after close with TRANSPORT_CLOSED', async () => {
      await startBoth();
      await b().close();
      await expectBusError(b().send(Uint8Array.of(1)), 'TRANSPORT_CLOSED', 'b.send() after b.close()');
      await a().close();
      await expectBusError(a().send(Uint8Array.of(1)), 'TRANSPORT_CLOSED', 'a.send() after a.close()');
    });

    test('rejects start after close with TRANSPORT_CLOSED', async () => {
      await startBoth();
      await Promise.all([b().close(), a().close()]);
      await expectBusError(a().start(), 'TRANSPORT_CLOSED', 'a.start() after a.close()');
      await expectBusError(b().start(), 'TRANSPORT_CLOSED', 'b.start() after b.close()');
    });

    test("reports a peer 'connected' on a when b connects (duplex)", async () => {
      await a().start();
      const connected = firstValueFrom(a().peers$.pipe(filter((e) => e.type === 'connected')));
      await b().start();
      const event = await waitFor("a 'connected' event on a.peers$", connected, wait);
      checkNonEmptyId(event.peer.id, "the 'connected' event's peer.id");
    }, caps.duplex);

    test("reports the peer 'disconnected' on a when b closes (duplex)", async () => {
      await a().start();
      const connected = firstValueFrom(a().peers$.pipe(filter((e) => e.type === 'connected')));
      await b().start();
      const { peer } = await waitFor("a 'connected' event on a.peers$", connected, wait);
      const gone = firstValueFrom(a().peers$.pipe(filter((e: PeerEvent) => e.type === 'disconnected' && e.peer.id === peer.id)));
      await b().close();
      await waitFor(`a 'disconnected' event for '${peer.id}' on a.peers$`, gone, wait);
    }, caps.duplex);
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
      `describeTransportContract('${name}'): the factory is async, so the suite cannot read the capabilities when the runner collects tests; pass options.capabilities`,
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

function checkNonEmptyId(id: unknown, what: string): void {
  check(typeof id === 'string' && id.length > 0, `${what} should be a non-empty string`, id);
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (sameBytes(actual, expected)) return;
  let at = 0;
  while (at < Math.min(actual.byteLength, expected.byteLength) && actual[at] === expected[at]) at++;
  throw new Error(`${what} differs from what was sent: ${actual.byteLength} bytes received, ${expected.byteLength} sent, first difference at byte ${at}`);
}
