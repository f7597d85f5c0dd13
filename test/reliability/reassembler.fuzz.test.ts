import fc from 'fast-check';
import { FRAGMENT_HEADER_SIZE, FrameReassembler, Fragmenter } from '@pipebus/core/transport-kit';
import { writeFragmentHeader } from '../../packages/core/src/fragment/fragment-header.js';
import { bytes, fuzzParameters } from './support/fuzz.js';
import { StepClock } from './support/step-clock.js';

const LIMITS = { maxMessageSize: 2048, maxBufferedBytes: 4096, maxPendingMessages: 6, timeoutMs: 1000 } as const;

/** One frame as it reaches the receiver, with what the network did to it. */
interface Arrival {
  readonly source: string;
  readonly frame: Uint8Array;
  /** Sort key: the network's reordering. */
  readonly order: number;
  /** Virtual ms that pass before it arrives. */
  readonly delay: number;
}

/** Messages from a few senders, split into fragments of random sizes. */
const traffic = fc
  .array(
    fc.record({
      source: fc.constantFrom('peer-a', 'peer-b', 'peer-c'),
      message: bytes(700).filter((m) => m.byteLength > 0),
      frameSize: fc.integer({ min: FRAGMENT_HEADER_SIZE + 1, max: FRAGMENT_HEADER_SIZE + 200 }),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .chain((messages) => {
    const fragmenters = new Map<string, Fragmenter>();
    const frames = messages.flatMap(({ source, message, frameSize }) => {
      let fragmenter = fragmenters.get(source);
      if (fragmenter === undefined) fragmenters.set(source, (fragmenter = new Fragmenter()));
      return fragmenter.split(message, frameSize).map((frame) => ({ source, frame }));
    });
    return fc
      .tuple(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: 3 }), fc.nat({ max: 300 })), { minLength: frames.length, maxLength: frames.length }),
        fc.constant(frames),
      )
      .map(([network, frames]) => {
        const arrivals: Arrival[] = [];
        frames.forEach((f, i) => {
          const [order, copies, delay] = network[i]!;
          // 0 copies: lost; 2 or 3: duplicated (a domain broadcast arrives once per protocol).
          for (let c = 0; c < copies; c++) arrivals.push({ ...f, order: order + c * 0.37, delay });
        });
        return { messages, frames, arrivals: arrivals.sort((a, b) => a.order - b.order) };
      });
  });

/**
 * Fragments with well-formed headers and hostile values: few senders and
 * sequences (so they collide), counts and totals that may contradict each
 * other or exceed every bound, chunks of any length.
 */
const hostileFragment = fc
  .tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 8 }), fc.nat({ max: 8 }), fc.oneof(fc.nat({ max: 5000 }), fc.constant(0xffffffff)), bytes(300))
  .map(([sender, sequence, index, count, total, chunk]) => {
    const frame = new Uint8Array(FRAGMENT_HEADER_SIZE + chunk.byteLength);
    writeFragmentHeader(frame, sender, sequence, index, count, total);
    frame.set(chunk, FRAGMENT_HEADER_SIZE);
    return frame;
  });

describe('reassembler under fuzzing (fast-check)', () => {
  it('delivers only messages that were sent, each at most once, within its memory bounds, whatever the network does', () => {
    fc.assert(
      fc.property(traffic, ({ messages, arrivals }) => {
        const clock = new StepClock();
        const reassembler = new FrameReassembler({ clock, ...LIMITS });
        const sent = new Map<string, string[]>();
        for (const { source, message } of messages) sent.set(source, [...(sent.get(source) ?? []), Buffer.from(message).toString('hex')]);
        for (const { source, frame, delay } of arrivals) {
          clock.step(delay);
          const out = reassembler.push(frame, source);
          const s = reassembler.stats();
          if (s.bufferedBytes > LIMITS.maxBufferedBytes || s.pendingMessages > LIMITS.maxPendingMessages) {
            throw new Error(`bounds exceeded: ${JSON.stringify(s)}`);
          }
          if (out === undefined) continue;
          // Delivered once: take it off the list of what that source sent.
          const left = sent.get(source)!;
          const at = left.indexOf(Buffer.from(out).toString('hex'));
          if (at < 0) throw new Error(`delivered a message ${source} never sent (or twice)`);
          left.splice(at, 1);
        }
        clock.step(LIMITS.timeoutMs + 1);
        const s = reassembler.stats();
        // Whatever was left half-done has expired: nothing held, no timer armed.
        if (s.pendingMessages !== 0 || s.bufferedBytes !== 0 || clock.pending !== 0) throw new Error(`left behind: ${JSON.stringify(s)}, ${clock.pending} timers`);
        reassembler.close();
      }),
      fuzzParameters(15_000),
    );
  });

  it('delivers every message exactly once when nothing is lost, however fragments are reordered and duplicated', () => {
    fc.assert(
      fc.property(traffic, ({ messages, frames, arrivals }) => {
        const reassembler = new FrameReassembler({ clock: new StepClock(), ...LIMITS, maxBufferedBytes: 64 * 1024, maxPendingMessages: 64 });
        // The same network, except that a lost fragment arrives after all.
        const seen = new Set(arrivals.map((a) => a.frame));
        const all = [...arrivals, ...frames.filter((f) => !seen.has(f.frame))];
        const got: string[] = [];
        for (const { source, frame } of all) {
          const out = reassembler.push(frame, source);
          if (out !== undefined) got.push(`${source}:${Buffer.from(out).toString('hex')}`);
        }
        const want = messages.map(({ source, message }) => `${source}:${Buffer.from(message).toString('hex')}`);
        expect(got.sort()).toEqual(want.sort());
      }),
      fuzzParameters(5_000),
    );
  });

  it('never throws and stays within its bounds on arbitrary frames and corrupted fragments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('x', 'y'), fc.oneof(bytes(64), bytes(40).map((b) => Uint8Array.of(0x11, ...b)), hostileFragment), fc.nat({ max: 400 })), { maxLength: 40 }),
        (frames) => {
          const clock = new StepClock();
          const reassembler = new FrameReassembler({ clock, ...LIMITS });
          for (const [source, frame, delay] of frames) {
            clock.step(delay);
            const out = reassembler.push(frame, source);
            if (out !== undefined && out.byteLength > LIMITS.maxMessageSize) throw new Error('delivered above maxMessageSize');
            const s = reassembler.stats();
            if (s.bufferedBytes > LIMITS.maxBufferedBytes || s.pendingMessages > LIMITS.maxPendingMessages) throw new Error(`bounds exceeded: ${JSON.stringify(s)}`);
          }
          reassembler.close();
          if (clock.pending !== 0) throw new Error('a timer outlived close()');
        },
      ),
      fuzzParameters(20_000),
    );
  });
});
