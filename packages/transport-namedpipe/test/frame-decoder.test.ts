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
