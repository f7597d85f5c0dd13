import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { FRAME_TAKEN } from '@pipebus/core/transport-kit';
import { BATCH_BYTE, MAX_BATCH_FRAMES, unpackBatch } from '../src/transport/batch.js';
import { Batcher } from '../src/transport/batcher.js';

/** A batch datagram written by hand: [0x1f, format, count u16, (u16 length, bytes)…]. */
function batch(frames: number[][], { format = 1, count = frames.length, extra = [] as number[] } = {}): Uint8Array {
  const bytes = [BATCH_BYTE, format, count & 0xff, count >> 8];
  for (const f of frames) bytes.push(f.length & 0xff, f.length >> 8, ...f);
  return Uint8Array.from([...bytes, ...extra]);
}

function unpack(data: Uint8Array): { frames: number[][]; why: string | undefined } {
  const frames: number[][] = [];
  const why = unpackBatch(data, (f) => frames.push(Array.from(f)));
  return { frames, why };
}

/** Runs the batcher's setImmediate flush (a turn of the event loop, not time). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('batch datagram format', () => {
  it('unpacks every frame of a well-formed batch, in order', () => {
    expect(unpack(batch([[0x10, 1], [0x10, 2, 3], [9]]))).toEqual({ frames: [[0x10, 1], [0x10, 2, 3], [9]], why: undefined });
  });

  it.each([
    ['a header cut short', Uint8Array.of(BATCH_BYTE, 1, 1), /shorter than its header/],
    ['an unknown format', batch([[1]], { format: 2 }), /format 2/],
    ['zero frames', batch([], { count: 0 }), /claims 0 frames/],
    ['more frames than the bound', batch([[1]], { count: MAX_BATCH_FRAMES + 1 }), /claims 1025 frames/],
    ['more frames than it holds', batch([[1], [2]], { count: 3 }), /claims 3 frames but holds 2/],
    ['a length past the end', Uint8Array.of(BATCH_BYTE, 1, 1, 0, 200, 0, 1, 2, 3), /claims 200 bytes, past the datagram's end/],
    ['a length cut in half', Uint8Array.of(BATCH_BYTE, 1, 2, 0, 1, 0, 7, 5), /claims 2 frames but holds 1/],
    ['an empty frame', batch([[1], []]), /frame 1 of a batch is empty/],
    ['bytes left over', batch([[1]], { extra: [0, 0] }), /2 bytes left over/],
  ])('drops a batch with %s whole, handing out none of its frames', (_what, data, why) => {
    const got = unpack(data);
    expect(got.frames).toEqual([]);
    expect(got.why).toMatch(why);
  });
});

describe('Batcher', () => {
  function harness(frameSize: number, outcome: () => Promise<void> = () => FRAME_TAKEN) {
    const sent: Uint8Array[] = [];
    const batcher = new Batcher((d) => {
      sent.push(Uint8Array.from(d));
      return outcome();
    }, frameSize);
    return { batcher, sent };
  }

  it('sends the frames of one turn as one batch when the turn ends, and settles them with it', async () => {
    const { batcher, sent } = harness(1000);
    const frame = Uint8Array.of(0x10, 1);
    const done = [batcher.add(frame), batcher.add(Uint8Array.of(0x10, 2)), batcher.add(Uint8Array.of(0x10, 3))];
    // Copied when added: the caller may reuse its bytes at once.
    frame[1] = 99;
    expect(sent).toHaveLength(0);
    await nextTurn();
    expect(sent).toHaveLength(1);
    expect(unpack(sent[0]!)).toEqual({ frames: [[0x10, 1], [0x10, 2], [0x10, 3]], why: undefined });
    await Promise.all(done);
  });

  it('sends a lone frame as itself, unless it starts with the batch byte', async () => {
    const { batcher, sent } = harness(1000);
    await Promise.all([batcher.add(Uint8Array.of(0x10, 7)), nextTurn()]);
    await Promise.all([batcher.add(Uint8Array.of(BATCH_BYTE, 7)), nextTurn()]);
    expect(Array.from(sent[0]!)).toEqual([0x10, 7]);
    expect(unpack(sent[1]!)).toEqual({ frames: [[BATCH_BYTE, 7]], why: undefined });
  });

  it('flushes early at frameSize bytes and at the frame-count bound', async () => {
    const small = harness(4 + 3 * 12);
    for (let i = 0; i < 7; i++) void small.batcher.add(new Uint8Array(10).fill(i));
    await nextTurn();
    // 3 frames of 10 bytes (+2 each) fill 4 + 36 bytes: 7 frames make 3 datagrams.
    expect(small.sent.map((d) => d.length)).toEqual([40, 40, 10]);
    expect(small.sent.slice(0, 2).map((d) => unpack(d).frames)).toEqual([[0, 1, 2], [3, 4, 5]].map((ids) => ids.map((i) => new Array(10).fill(i))));
    expect(Array.from(small.sent[2]!)).toEqual(new Array(10).fill(6));
    const many = harness(65536);
    for (let i = 0; i < MAX_BATCH_FRAMES + 1; i++) void many.batcher.add(Uint8Array.of(0x10));
    await nextTurn();
    expect(many.sent.map((d) => d.length)).toEqual([4 + 3 * MAX_BATCH_FRAMES, 1]);
  });

  it('sends a frame too large to share a datagram alone, after the open batch', async () => {
    const { batcher, sent } = harness(100);
    void batcher.add(Uint8Array.of(0x10, 1));
    await batcher.add(new Uint8Array(98).fill(0x10));
    expect(sent.map((d) => d.length)).toEqual([2, 98]);
  });

  it('refuses a frame that starts with the batch byte and is too large to wrap', async () => {
    const { batcher } = harness(100);
    const error = await batcher.add(new Uint8Array(98).fill(BATCH_BYTE)).catch((e: unknown) => e);
    expect(BusError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as BusError).message).toContain('batch: false');
  });

  it('rejects every frame of a batch whose send failed, with that error', async () => {
    const failure = new BusError('BUSY', 'full');
    const { batcher } = harness(1000, () => Promise.reject(failure));
    const done = [batcher.add(Uint8Array.of(1)), batcher.add(Uint8Array.of(2))].map((p) => p.catch((e: unknown) => e));
    await nextTurn();
    expect(await Promise.all(done)).toEqual([failure, failure]);
  });

  it('gives a batch still being written its own buffer: the next batch does not overwrite it', async () => {
    let release!: () => void;
    const sent: Uint8Array[] = [];
    const batcher = new Batcher((d) => {
      sent.push(d);
      return sent.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : FRAME_TAKEN;
    }, 1000);
    const first = [batcher.add(Uint8Array.of(0x10, 1)), batcher.add(Uint8Array.of(0x10, 2))];
    await nextTurn();
    void batcher.add(Uint8Array.of(0x10, 3));
    void batcher.add(Uint8Array.of(0x10, 4));
    await nextTurn();
    expect(unpack(sent[0]!).frames).toEqual([[0x10, 1], [0x10, 2]]);
    expect(unpack(sent[1]!).frames).toEqual([[0x10, 3], [0x10, 4]]);
    release();
    await Promise.all(first);
  });
});
