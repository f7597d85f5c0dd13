import fc from 'fast-check';
import { FrameDecoder, LENGTH_PREFIX_BYTES } from '../../packages/transport-namedpipe/src/framing/frame-decoder.js';
import { bytes, fuzzParameters } from './support/fuzz.js';

/** Frames behind their u32 big-endian length prefixes, as one stream. */
function stream(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + LENGTH_PREFIX_BYTES + f.byteLength, 0));
  let at = 0;
  for (const frame of frames) {
    new DataView(out.buffer).setUint32(at, frame.byteLength);
    out.set(frame, at + LENGTH_PREFIX_BYTES);
    at += LENGTH_PREFIX_BYTES + frame.byteLength;
  }
  return out;
}

/** `data` cut at the given points (any order, any repeats) into chunks. */
function cut(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const marks = [...new Set(points.map((p) => p % (data.byteLength + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const mark of [...marks, data.byteLength]) {
    if (mark > from) chunks.push(data.slice(from, mark));
    from = Math.max(from, mark);
  }
  return chunks;
}

describe('frame decoder under fuzzing (fast-check)', () => {
  it('gives back exactly the frames sent, however the stream is cut into reads', () => {
    fc.assert(
      fc.property(fc.array(bytes(300), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, points) => {
        const decoder = new FrameDecoder(300);
        const out: Uint8Array[] = [];
        for (const chunk of cut(stream(frames), points)) {
          if (decoder.push(chunk, (frame) => out.push(frame.slice())) !== undefined) throw new Error('violation on a valid stream');
        }
        // Plain checks, not expect(): this runs tens of thousands of times.
        if (out.length !== frames.length || out.some((f, i) => Buffer.compare(f, frames[i]!) !== 0)) {
          expect(out.map((f) => Array.from(f))).toEqual(frames.map((f) => Array.from(f)));
        }
        if (decoder.midFrame) throw new Error('decoder is mid-frame after a whole stream');
      }),
      fuzzParameters(25_000),
    );
  });

  it('never throws on arbitrary bytes, never hands out a frame above the limit, and stays poisoned after a violation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 }), fc.array(bytes(80), { maxLength: 8 }), (max, chunks) => {
        const decoder = new FrameDecoder(max);
        let received = 0;
        let delivered = 0;
        let violated = false;
        for (const chunk of chunks) {
          received += chunk.byteLength;
          const violation = decoder.push(chunk, (frame) => {
            // Nothing may follow a violation, in this chunk or a later one.
            if (violated) throw new Error('a frame was handed out after a violation');
            if (frame.byteLength > max) throw new Error(`a ${frame.byteLength}-byte frame passed a ${max}-byte limit`);
            delivered += LENGTH_PREFIX_BYTES + frame.byteLength;
          });
          if (violation !== undefined) {
            if (violation.kind !== 'oversize' || violation.length <= max) throw new Error(`bad violation ${JSON.stringify(violation)}`);
            violated = true;
          }
        }
        // A decoder invents no bytes.
        if (delivered > received) throw new Error(`${delivered} bytes out of ${received} in`);
      }),
      fuzzParameters(25_000),
    );
  });
});
