import { describe, expect, it } from '@jest/globals';
import { mulberry32 } from '@pipebus/test-support';
import { BusError } from '../src/errors/index.js';
import { FRAGMENT_FRAME_BYTE } from '../src/wire/index.js';
import { FRAGMENT_HEADER_SIZE, Fragmenter, FrameReassembler } from '../src/fragment/index.js';
import type { FragmentDropReason } from '../src/fragment/index.js';

const MAILSLOT_FRAME = 424;
const CHUNK = MAILSLOT_FRAME - FRAGMENT_HEADER_SIZE; // 406

/** Deterministic bytes so a mismatch shows where. */
function message(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}


function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function header(frame: Uint8Array) {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    byte0: view.getUint8(0),
    flags: view.getUint8(1),
    senderId: view.getUint32(2),
    sequence: view.getUint32(6),
    index: view.getUint16(10),
    count: view.getUint16(12),
    total: view.getUint32(14),
  };
}

/** Pushes frames in order and returns every completed message. */
function pushAll(reassembler: FrameReassembler, frames: readonly Uint8Array[], source = 'peer'): Uint8Array[] {
  const done: Uint8Array[] = [];
  for (const frame of frames) {
    const out = reassembler.push(frame, source);
    if (out !== undefined) done.push(out);
  }
  return done;
}

function withReassembler(run: (r: FrameReassembler, drops: FragmentDropReason[]) => void): void {
  const drops: FragmentDropReason[] = [];
  const reassembler = new FrameReassembler({ onDrop: (reason) => drops.push(reason) });
  try {
    run(reassembler, drops);
  } finally {
    reassembler.close();
  }
}

describe('Fragmenter.split', () => {
  it('writes the 18-byte header the wire format specifies', () => {
    const fragmenter = new Fragmenter({ senderId: 0xdeadbeef });
    const frames = fragmenter.split(message(1000), MAILSLOT_FRAME);
    expect(frames.map((f) => f.length)).toEqual([424, 424, 1000 - 2 * CHUNK + FRAGMENT_HEADER_SIZE]);
    frames.forEach((frame, index) => {
      expect(header(frame)).toEqual({
        byte0: FRAGMENT_FRAME_BYTE,
        flags: 0,
        senderId: 0xdeadbeef,
        sequence: 0,
        index,
        count: 3,
        total: 1000,
      });
    });
  });

  it('keeps every frame within maxFrameSize including the header', () => {
    const fragmenter = new Fragmenter();
    for (const size of [1, 7, 19, 20, 100, 1000]) {
      for (const max of [19, 20, 21, 64, 424]) {
        for (const frame of fragmenter.split(message(size), max)) {
          expect(frame.length).toBeLessThanOrEqual(max);
          expect(frame.length).toBeGreaterThan(FRAGMENT_HEADER_SIZE);
        }
      }
    }
  });

  it('gives each split the next sequence number', () => {
    const fragmenter = new Fragmenter({ senderId: 5, initialSequence: 41 });
    expect(header(fragmenter.split(message(10), 100)[0]!).sequence).toBe(41);
    expect(header(fragmenter.split(message(10), 100)[0]!).sequence).toBe(42);
  });

  it('wraps the sequence after 2^32 - 1', () => {
    const fragmenter = new Fragmenter({ initialSequence: 0xffffffff });
    expect(header(fragmenter.split(message(10), 100)[0]!).sequence).toBe(0xffffffff);
    expect(header(fragmenter.split(message(10), 100)[0]!).sequence).toBe(0);
  });

  it('picks a random u32 sender id by default', () => {
    const ids = new Set(Array.from({ length: 8 }, () => new Fragmenter().senderId));
    for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id <= 0xffffffff).toBe(true);
    expect(ids.size).toBeGreaterThan(1);
  });

  it('does not alias the message: frames keep their bytes when the message changes', () => {
    const source = message(500);
    const frames = new Fragmenter().split(source, MAILSLOT_FRAME);
    source.fill(0);
    withReassembler((r) => expect(pushAll(r, frames)).toEqual([message(500)]));
  });

  it('rejects a maxFrameSize that leaves no room for a chunk', () => {
    const fragmenter = new Fragmenter();
    for (const max of [0, 17, FRAGMENT_HEADER_SIZE, 100.5, Number.NaN, Infinity]) {
      expect(() => fragmenter.split(message(10), max)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('maxFrameSize') }),
      );
    }
  });

  it('rejects an empty message', () => {
    expect(() => new Fragmenter().split(new Uint8Array(0), 424)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('empty') }),
    );
  });

  it('rejects a message that needs more than 65535 fragments, and accepts exactly 65535', () => {
    const fragmenter = new Fragmenter({ initialSequence: 7 });
    // 19-byte frames carry 1 byte each.
    expect(fragmenter.split(message(65535), 19)).toHaveLength(65535);
    let error: unknown;
    try {
      fragmenter.split(message(65536), 19);
    } catch (e) {
      error = e;
    }
    expect(BusError.is(error, 'FRAME_TOO_LARGE')).toBe(true);
    expect((error as BusError).message).toMatch(/65536 fragments.*at most 65535 bytes/);
    // A failed split does not use up a sequence number.
    expect(header(fragmenter.split(message(1), 19)[0]!).sequence).toBe(8);
  });

  it('rejects bad constructor options with actionable messages', () => {
    for (const senderId of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(() => new Fragmenter({ senderId })).toThrow(/senderId must be an integer from 0 to 4294967295/);
    }
    expect(() => new Fragmenter({ initialSequence: -3 })).toThrow(/initialSequence/);
  });
});

describe('FrameReassembler round trip', () => {
  const cases: Array<[string, number]> = [
    ['a 1-byte message', 1],
    ['a message that exactly fills one frame', CHUNK],
    ['a message one byte over one frame', CHUNK + 1],
    ['a 64 KiB message', 64 * 1024],
  ];
  it.each(cases)('reassembles %s at frame size 424', (_name, size) => {
    const original = message(size, size);
    const frames = new Fragmenter().split(original, MAILSLOT_FRAME);
    expect(frames).toHaveLength(Math.ceil(size / CHUNK));
    withReassembler((r, drops) => {
      const done = pushAll(r, frames);
      expect(done).toEqual([original]);
      expect(drops).toEqual([]);
      expect(r.stats()).toEqual({
        fragmentsReceived: frames.length,
        messagesCompleted: 1,
        duplicatesDropped: 0,
        malformedDropped: 0,
        expired: 0,
        evicted: 0,
        lateDropped: 0,
        pendingMessages: 0,
        bufferedBytes: 0,
        senders: 0,
        largestSenderBytes: 0,
      });
    });
  });

  it('completes a single-fragment message at once', () => {
    withReassembler((r) => {
      const [frame] = new Fragmenter().split(message(3), 424);
      expect(r.push(frame!, 'peer')).toEqual(message(3));
    });
  });

  it('returns the message only when its last missing fragment arrives', () => {
    const frames = new Fragmenter().split(message(2000), MAILSLOT_FRAME);
    withReassembler((r) => {
      const results = frames.map((f) => r.push(f, 'peer'));
      expect(results.slice(0, -1).every((x) => x === undefined)).toBe(true);
      expect(results.at(-1)).toEqual(message(2000));
    });
  });

  it('reassembles fragments that arrive out of order', () => {
    const random = mulberry32(1234);
    for (let round = 0; round < 20; round++) {
      const size = 1 + Math.floor(random() * 20_000);
      const original = message(size, round);
      const frames = shuffle(new Fragmenter().split(original, MAILSLOT_FRAME), random);
      withReassembler((r) => expect(pushAll(r, frames)).toEqual([original]));
    }
  });

  it('drops duplicated fragments and still completes once', () => {
    const random = mulberry32(99);
    const frames = new Fragmenter().split(message(5000), MAILSLOT_FRAME);
    const doubled = shuffle([...frames, ...frames], random);
    withReassembler((r, drops) => {
      expect(pushAll(r, doubled)).toEqual([message(5000)]);
      expect(r.stats().duplicatesDropped).toBe(frames.length);
      expect(drops.every((d) => d === 'duplicate')).toBe(true);
    });
  });

  it('drops a late duplicate of a completed message instead of starting a new one', () => {
    const frames = new Fragmenter().split(message(1000), MAILSLOT_FRAME);
    withReassembler((r, drops) => {
      expect(pushAll(r, frames)).toHaveLength(1);
      // A domain broadcast arrives once per network protocol: the whole second copy.
      expect(pushAll(r, frames)).toEqual([]);
      expect(r.stats()).toMatchObject({ duplicatesDropped: 3, pendingMessages: 0, bufferedBytes: 0 });
      expect(drops).toEqual(['duplicate', 'duplicate', 'duplicate']);
    });
  });

  it('drops a late duplicate of a single-fragment message', () => {
    const [frame] = new Fragmenter().split(message(10), MAILSLOT_FRAME);
    withReassembler((r) => {
      expect(r.push(frame!, 'peer')).toBeDefined();
      expect(r.push(frame!, 'peer')).toBeUndefined();
      expect(r.stats().duplicatesDropped).toBe(1);
    });
  });

  it('forgets completed keys beyond recentCapacity', () => {
    const fragmenter = new Fragmenter();
    const first = fragmenter.split(message(10), MAILSLOT_FRAME);
    const reassembler = new FrameReassembler({ recentCapacity: 2 });
    pushAll(reassembler, first);
    pushAll(reassembler, fragmenter.split(message(10), MAILSLOT_FRAME));
    pushAll(reassembler, fragmenter.split(message(10), MAILSLOT_FRAME));
    // The first message's key has been pushed out, so its copy is new again.
    expect(pushAll(reassembler, first)).toHaveLength(1);
    reassembler.close();
  });

  it('keeps interleaved messages of two senders and two sources with the same sequence apart', () => {
    const random = mulberry32(7);
    const a = new Fragmenter({ senderId: 1 });
    const b = new Fragmenter({ senderId: 2 });
    const payloads = {
      a1: message(3000, 11),
      b1: message(2500, 12),
      a2: message(1800, 13),
    };
    const framesA = a.split(payloads.a1, MAILSLOT_FRAME);
    const framesB = b.split(payloads.b1, MAILSLOT_FRAME);
    // Same sender id and sequence as framesA, but seen through another transport peer.
    const framesA2 = new Fragmenter({ senderId: 1 }).split(payloads.a2, MAILSLOT_FRAME);
    const tagged = shuffle(
      [
        ...framesA.map((f) => ({ f, source: 'pipe-1' })),
        ...framesB.map((f) => ({ f, source: 'pipe-1' })),
        ...framesA2.map((f) => ({ f, source: 'pipe-2' })),
      ],
      random,
    );
    withReassembler((r, drops) => {
      const done: Uint8Array[] = [];
      for (const { f, source } of tagged) {
        const out = r.push(f, source);
        if (out) done.push(out);
      }
      const bySize = (x: Uint8Array, y: Uint8Array) => x.length - y.length;
      expect(done.sort(bySize)).toEqual([payloads.a2, payloads.b1, payloads.a1]);
      expect(drops).toEqual([]);
    });
  });

  it('reassembles messages whose sequence wrapped around', () => {
    const fragmenter = new Fragmenter({ initialSequence: 0xffffffff });
    const before = fragmenter.split(message(1000, 1), MAILSLOT_FRAME);
    const after = fragmenter.split(message(1000, 2), MAILSLOT_FRAME);
    expect(header(after[0]!).sequence).toBe(0);
    withReassembler((r) => {
      const interleaved = before.flatMap((f, i) => [f, after[i]!]);
      expect(pushAll(r, interleaved)).toEqual([message(1000, 1), message(1000, 2)]);
    });
  });
});
