import { describe, expect, it } from '@jest/globals';
import type { Clock, TimerHandle } from '../src/clock/index.js';
import { FRAGMENT_HEADER_SIZE, Fragmenter, FrameReassembler } from '../src/fragment/index.js';
import type { FragmentDropReason, FrameReassemblerOptions } from '../src/fragment/index.js';

/** Virtual time: timers fire synchronously, in order, inside `advance`. */
class FakeClock implements Clock {
  #now = 0;
  #nextId = 0;
  #timers: Array<{ at: number; id: number; fn: () => void; handle: TimerHandle }> = [];

  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.#timers.push({ at: this.#now + ms, id: this.#nextId++, fn, handle });
    this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.handle !== handle);
  }
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let next = this.#timers[0]; next !== undefined && next.at <= target; next = this.#timers[0]) {
      this.#timers.shift();
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }
  get pendingTimers(): number {
    return this.#timers.length;
  }
}

interface FrameSpec {
  byte0?: number;
  senderId?: number;
  sequence?: number;
  index?: number;
  count?: number;
  total?: number;
  chunkLength?: number;
}

/** Hand-built fragment frame, for inputs a Fragmenter would never produce. */
function frame(spec: FrameSpec = {}): Uint8Array {
  const { byte0 = 0x11, senderId = 1, sequence = 0, index = 0, count = 2, total = 10, chunkLength = 5 } = spec;
  const bytes = new Uint8Array(FRAGMENT_HEADER_SIZE + chunkLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, byte0);
  view.setUint32(2, senderId);
  view.setUint32(6, sequence);
  view.setUint16(10, index);
  view.setUint16(12, count);
  view.setUint32(14, total);
  bytes.fill(0xab, FRAGMENT_HEADER_SIZE);
  return bytes;
}

function setup(options: FrameReassemblerOptions = {}) {
  const clock = new FakeClock();
  const drops: FragmentDropReason[] = [];
  const reassembler = new FrameReassembler({ clock, onDrop: (reason) => drops.push(reason), ...options });
  return { clock, drops, reassembler };
}

describe('FrameReassembler expiry', () => {
  it('expires a message with a lost fragment after timeoutMs', () => {
    const { clock, drops, reassembler } = setup({ timeoutMs: 1000 });
    const frames = new Fragmenter().split(new Uint8Array(1000).fill(1), 424);
    reassembler.push(frames[0]!, 'peer');
    reassembler.push(frames[2]!, 'peer'); // frames[1] is lost
    // One 1000-byte block (under 4 KiB) and one byte of bookkeeping for its 3 fragments.
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 1, bufferedBytes: 1001, expired: 0 });

    clock.advance(999);
    expect(reassembler.stats().pendingMessages).toBe(1);
    clock.advance(1);
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 0, bufferedBytes: 0, expired: 1 });
    expect(drops).toEqual(['expired']);
    expect(clock.pendingTimers).toBe(0);

    // The lost fragment turning up late cannot revive the message.
    expect(reassembler.push(frames[1]!, 'peer')).toBeUndefined();
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 0, lateDropped: 1 });
    expect(drops).toEqual(['expired', 'expired']);
  });

  it('expires each partial message at its own age, with one timer', () => {
    const { clock, reassembler } = setup({ timeoutMs: 100 });
    reassembler.push(frame({ sequence: 1 }), 'peer');
    clock.advance(60);
    reassembler.push(frame({ sequence: 2 }), 'peer');
    expect(clock.pendingTimers).toBe(1);
    clock.advance(40);
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 1, expired: 1 });
    clock.advance(59);
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 1, expired: 1 });
    clock.advance(1);
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 0, expired: 2 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not expire a message that completed in time, and leaves no timer behind', () => {
    const { clock, reassembler } = setup({ timeoutMs: 100 });
    const frames = new Fragmenter().split(new Uint8Array(900), 424);
    for (const f of frames) reassembler.push(f, 'peer');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1000);
    expect(reassembler.stats()).toMatchObject({ messagesCompleted: 1, expired: 0 });
  });

  it('close() cancels the timer and drops partial messages', () => {
    const { clock, reassembler } = setup();
    reassembler.push(frame({ sequence: 1 }), 'peer');
    reassembler.push(frame({ sequence: 2 }), 'peer');
    expect(clock.pendingTimers).toBe(1);
    reassembler.close();
    expect(clock.pendingTimers).toBe(0);
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 0, bufferedBytes: 0 });
  });
});

describe('FrameReassembler drops malformed frames without throwing', () => {
  const cases: Array<[string, Uint8Array, FragmentDropReason]> = [
    ['an empty frame', new Uint8Array(0), 'malformed'],
    ['a frame shorter than the header', frame().subarray(0, 10), 'malformed'],
    ['a header with no chunk', frame().subarray(0, FRAGMENT_HEADER_SIZE), 'malformed'],
    ['a whole-message frame (byte 0 = 0x10)', frame({ byte0: 0x10 }), 'malformed'],
    ['a frame of another wire version (byte 0 = 0x21)', frame({ byte0: 0x21 }), 'malformed'],
    ['a fragment count of 0', frame({ count: 0 }), 'malformed'],
    ['an index equal to the count', frame({ index: 2, count: 2 }), 'malformed'],
    ['a total of 0', frame({ total: 0 }), 'malformed'],
    ['a total above maxMessageSize', frame({ count: 2, total: 2000, chunkLength: 1000 }), 'too-large'],
    ['more fragments than bytes', frame({ count: 20, total: 10, chunkLength: 1 }), 'malformed'],
    ['a single fragment shorter than the total', frame({ count: 1, total: 10, chunkLength: 9 }), 'malformed'],
    ['a single fragment longer than the total', frame({ count: 1, total: 10, chunkLength: 11 }), 'malformed'],
    ['a middle chunk that overflows the total', frame({ index: 0, count: 3, total: 10, chunkLength: 6 }), 'malformed'],
    ['chunks that cannot reach the total', frame({ index: 0, count: 2, total: 20, chunkLength: 5 }), 'malformed'],
    ['a last chunk longer than the others could be', frame({ index: 2, count: 3, total: 10, chunkLength: 6 }), 'malformed'],
    ['a last chunk that leaves an uneven rest', frame({ index: 2, count: 3, total: 10, chunkLength: 3 }), 'malformed'],
  ];

  it.each(cases)('drops %s', (_name, bad, reason) => {
    const { drops, reassembler } = setup({ maxMessageSize: 1000 });
    expect(() => reassembler.push(bad, 'peer')).not.toThrow();
    expect(reassembler.push(bad, 'peer')).toBeUndefined();
    expect(drops).toEqual([reason, reason]);
    expect(reassembler.stats()).toMatchObject({ fragmentsReceived: 2, malformedDropped: 2, pendingMessages: 0, bufferedBytes: 0 });
    reassembler.close();
  });

  it('drops a value that is not a Uint8Array at all', () => {
    const { reassembler } = setup();
    expect(reassembler.push('nope' as unknown as Uint8Array, 'peer')).toBeUndefined();
    expect(reassembler.stats().malformedDropped).toBe(1);
  });

  it('ignores unknown flag bits', () => {
    const { reassembler } = setup();
    const [only] = new Fragmenter().split(new Uint8Array([1, 2, 3]), 424);
    only![1] = 0xff;
    expect(reassembler.push(only!, 'peer')).toEqual(new Uint8Array([1, 2, 3]));
  });

  const disagreements: Array<[string, FrameSpec]> = [
    ['count', { index: 1, count: 3, total: 10, chunkLength: 4 }],
    ['total', { index: 1, count: 2, total: 9, chunkLength: 4 }],
    ['chunk size', { index: 1, count: 2, total: 10, chunkLength: 4 }],
  ];
  it.each(disagreements)('drops the fragment and the partial message when the %s disagrees', (_name, spec) => {
    const { drops, reassembler, clock } = setup();
    // Each second fragment is valid on its own; only its relation to the first is wrong.
    expect(reassembler.push(frame({ index: 0, count: 2, total: 10, chunkLength: 5 }), 'peer')).toBeUndefined();
    expect(reassembler.push(frame(spec), 'peer')).toBeUndefined();
    expect(drops).toEqual(['inconsistent']);
    expect(reassembler.stats()).toMatchObject({ malformedDropped: 1, pendingMessages: 0, bufferedBytes: 0 });
    expect(clock.pendingTimers).toBe(0);
    // The rest of that message is dropped at once rather than left to expire.
    expect(reassembler.push(frame({ index: 1, count: 2, total: 10, chunkLength: 5 }), 'peer')).toBeUndefined();
    expect(reassembler.stats()).toMatchObject({ lateDropped: 1, pendingMessages: 0 });
  });

  it('keeps working when onDrop throws, and surfaces the error', async () => {
    const errors: unknown[] = [];
    const reassembler = new FrameReassembler({
      onDrop: () => {
        throw new Error('hook failed');
      },
    });
    // Capture the rethrow from the microtask instead of letting it fail the run.
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) =>
      original(() => {
        try {
          fn();
        } catch (e) {
          errors.push(e);
        }
      });
    try {
      expect(() => reassembler.push(new Uint8Array(1), 'peer')).not.toThrow();
      await Promise.resolve();
    } finally {
      globalThis.queueMicrotask = original;
    }
    expect(errors).toEqual([new Error('hook failed')]);
    expect(reassembler.stats().malformedDropped).toBe(1);
  });
});

describe('FrameReassembler bounds', () => {
  it('evicts the oldest partial message when maxPendingMessages is reached', () => {
    const { drops, reassembler } = setup({ maxPendingMessages: 3, maxPendingMessagesPerSender: 3 });
    for (let sequence = 1; sequence <= 4; sequence++) reassembler.push(frame({ sequence }), 'peer');
    expect(reassembler.stats()).toMatchObject({ pendingMessages: 3, evicted: 1, bufferedBytes: 33 });
    expect(drops).toEqual(['evicted']);
    // Sequence 1 was the oldest: its second half is late, the others complete.
    expect(reassembler.push(frame({ sequence: 1, index: 1 }), 'peer')).toBeUndefined();
    expect(reassembler.push(frame({ sequence: 2, index: 1 }), 'peer')).toHaveLength(10);
    expect(reassembler.stats()).toMatchObject({ lateDropped: 1, messagesCompleted: 1, pendingMessages: 2 });
    reassembler.close();
  });

  it('evicts the oldest partial messages until the new one fits in maxBufferedBytes', () => {
    // 113: a 100-byte message plus one bookkeeping bit for each of up to 100 fragments.
    const { reassembler } = setup({ maxBufferedBytes: 113, maxMessageSize: 100 });
    reassembler.push(frame({ sequence: 1, total: 40, chunkLength: 20 }), 'peer');
    reassembler.push(frame({ sequence: 2, total: 40, chunkLength: 20 }), 'peer');
    expect(reassembler.stats()).toMatchObject({ bufferedBytes: 82, evicted: 0 });
    reassembler.push(frame({ sequence: 3, total: 60, chunkLength: 30 }), 'peer');
    // 82 + 61 > 113: evicting sequence 1 leaves 41 + 61.
    expect(reassembler.stats()).toMatchObject({ bufferedBytes: 102, evicted: 1, pendingMessages: 2 });
    reassembler.push(frame({ sequence: 4, total: 100, chunkLength: 50 }), 'peer');
    expect(reassembler.stats()).toMatchObject({ bufferedBytes: 101, evicted: 3, pendingMessages: 1 });
    reassembler.close();
  });

  it('stays within its bounds under thousands of bogus half-messages', () => {
    const maxBufferedBytes = 1024 * 1024;
    const { clock, reassembler } = setup({ maxPendingMessages: 64, maxBufferedBytes, maxMessageSize: 64 * 1024, recentCapacity: 128 });
    for (let i = 0; i < 5000; i++) {
      const total = 1 + ((i * 7919) % (64 * 1024));
      const count = Math.max(2, Math.min(0xffff, total));
      const chunkLength = Math.ceil(total / count);
      const result = reassembler.push(
        frame({ senderId: i % 17, sequence: i, index: 0, count, total, chunkLength }),
        `peer-${i % 5}`,
      );
      expect(result).toBeUndefined();
      const stats = reassembler.stats();
      expect(stats.pendingMessages).toBeLessThanOrEqual(64);
      expect(stats.bufferedBytes).toBeLessThanOrEqual(maxBufferedBytes);
    }
    expect(clock.pendingTimers).toBe(1);
    const stats = reassembler.stats();
    expect(stats.fragmentsReceived).toBe(5000);
    expect(stats.evicted + stats.pendingMessages + stats.malformedDropped + stats.messagesCompleted).toBe(5000);
    // A real message still gets through afterwards.
    const real = new Uint8Array(3000).fill(9);
    const frames = new Fragmenter().split(real, 424);
    expect(frames.map((f) => reassembler.push(f, 'real')).at(-1)).toEqual(real);
    reassembler.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('FrameReassembler options', () => {
  const bad: Array<[FrameReassemblerOptions, RegExp]> = [
    [{ maxMessageSize: 0 }, /maxMessageSize must be a positive integer/],
    [{ maxMessageSize: 1.5 }, /maxMessageSize must be a positive integer/],
    [{ maxMessageSize: 2 ** 32 }, /maxMessageSize must be a positive integer up to 4294967295/],
    [{ maxBufferedBytes: -1 }, /maxBufferedBytes must be a positive integer/],
    [{ maxPendingMessages: 0 }, /maxPendingMessages must be a positive integer/],
    [{ recentCapacity: -1 }, /recentCapacity must be a non-negative integer/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ timeoutMs: Infinity }, /timeoutMs must be a positive number/],
    [{ timeoutMs: 2 ** 31 }, /up to 2147483647/],
    [{ maxMessageSize: 200, maxBufferedBytes: 100 }, /raise maxBufferedBytes or lower maxMessageSize/],
    [{ clock: {} as Clock }, /clock must implement now\(\), setTimeout\(\) and clearTimeout\(\)/],
    [{ onDrop: 'log' as unknown as () => void }, /onDrop must be a function/],
  ];
  it.each(bad)('rejects %p', (options, message) => {
    expect(() => new FrameReassembler(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
  });

  it('accepts recentCapacity 0, which turns duplicate memory off', () => {
    const { reassembler } = setup({ recentCapacity: 0 });
    const [only] = new Fragmenter().split(new Uint8Array([1]), 424);
    expect(reassembler.push(only!, 'peer')).toBeDefined();
    expect(reassembler.push(only!, 'peer')).toBeDefined();
  });

  it('uses the system clock by default without keeping the process alive', () => {
    const reassembler = new FrameReassembler();
    reassembler.push(frame(), 'peer');
    expect(reassembler.stats().pendingMessages).toBe(1);
    reassembler.close();
  });
});
