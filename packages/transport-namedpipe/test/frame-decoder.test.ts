import { describe, expect, it } from '@jest/globals';
import { FrameDecoder, INITIAL_BODY_BYTES } from '../src/framing/frame-decoder.js';
import { framed } from './helpers.js';

/** A deterministic pseudo-random sequence (xorshift32), so a failing split can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

describe('FrameDecoder memory', () => {
  it('holds what a peer sent, not what it announced: 16 MiB declared, 10 bytes sent', () => {
    const decoder = new FrameDecoder(16 * 1024 * 1024);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(16 * 1024 * 1024 - 1, 0);
    decoder.push(Buffer.concat([prefix, Buffer.alloc(10)]), () => {});
    expect(decoder.midFrame).toBe(true);
    expect(decoder.heldBytes).toBeLessThanOrEqual(INITIAL_BODY_BYTES);
    expect(decoder.missingBytes).toBe(16 * 1024 * 1024 - 1 - 10);
  });

  it('grows the buffer with the bytes received, at most doubling past them', () => {
    const decoder = new FrameDecoder(16 * 1024 * 1024);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(8 * 1024 * 1024, 0);
    decoder.push(prefix, () => {});
    let sent = 0;
    for (const size of [1, 5000, 60_000, 300_000]) {
      decoder.push(Buffer.alloc(size), () => {});
      sent += size;
      expect(decoder.heldBytes).toBeLessThanOrEqual(Math.max(2 * sent, INITIAL_BODY_BYTES));
    }
  });

  it('reassembles frames split at any point, byte by byte included', () => {
    const next = random(0x5eed);
    const payloads = [0, 1, 3, 4, 5, 100, 4095, 4096, 4097, 70_000, 200_000].map((n, i) => Buffer.alloc(n, i + 1));
    const stream = Buffer.concat(payloads.map((p) => framed(p)));
    for (let round = 0; round < 20; round++) {
      const decoder = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let at = 0; at < stream.byteLength; ) {
        const size = round === 0 ? 1 : 1 + Math.floor(next() * 9000);
        decoder.push(stream.subarray(at, at + size), (f) => out.push(Buffer.from(f)));
        at += size;
      }
      expect(out.map((f) => f.byteLength)).toEqual(payloads.map((p) => p.byteLength));
      expect(out.every((f, i) => f.equals(payloads[i]!))).toBe(true);
      expect(decoder.midFrame).toBe(false);
    }
  });
});

describe('FrameDecoder hold', () => {
  const frames = (...sizes: number[]): Buffer => Buffer.concat(sizes.map((n, i) => framed(new Uint8Array(n).fill(i + 1))));

  it('held from inside onFrame, hands out nothing more of the chunk, nor of chunks pushed meanwhile, until released', () => {
    const decoder = new FrameDecoder(1024);
    const got: number[] = [];
    const onFrame = (frame: Uint8Array): void => {
      got.push(frame[0]!);
      if (got.length === 2) decoder.hold();
    };
    expect(decoder.push(frames(3, 3, 3, 3), onFrame)).toBeUndefined();
    expect(got).toEqual([1, 2]);
    decoder.push(framed(new Uint8Array(2).fill(9)), onFrame);
    expect(got).toEqual([1, 2]);
    decoder.release(onFrame);
    expect(got).toEqual([1, 2, 3, 4, 9]);
  });

  it('held before a chunk arrives keeps all of it, a frame split across chunks included', () => {
    const decoder = new FrameDecoder(1024);
    const got: number[] = [];
    const onFrame = (frame: Uint8Array): void => void got.push(frame.byteLength);
    decoder.hold();
    const bytes = frames(5, 700);
    decoder.push(bytes.subarray(0, 300), onFrame);
    decoder.push(bytes.subarray(300), onFrame);
    expect(got).toEqual([]);
    decoder.release(onFrame);
    expect(got).toEqual([5, 700]);
    // Released and empty: frames flow at once again.
    decoder.push(frames(1), onFrame);
    expect(got).toEqual([5, 700, 1]);
  });

  it('a release while a stall still waits for memory keeps the bytes until resume()', () => {
    let allowed = false;
    const memory = { take: () => allowed, release: () => undefined };
    const decoder = new FrameDecoder(1 << 20, memory);
    const got: number[] = [];
    const onFrame = (frame: Uint8Array): void => void got.push(frame.byteLength);
    const bytes = frames(INITIAL_BODY_BYTES * 2, 7);
    // Split, so that the first frame cannot be handed out as a view and needs memory.
    decoder.push(bytes.subarray(0, 104), onFrame);
    expect(decoder.stalledFor).toBeGreaterThan(0);
    decoder.hold();
    decoder.push(bytes.subarray(104), onFrame);
    decoder.release(onFrame);
    expect(got).toEqual([]);
    allowed = true;
    decoder.resume(onFrame);
    expect(got).toEqual([INITIAL_BODY_BYTES * 2, 7]);
  });
});
