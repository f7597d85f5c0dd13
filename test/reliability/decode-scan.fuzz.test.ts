import fc from 'fast-check';
import { C1 } from 'msgpackr';
import { jsonCodec, msgpackCodec, msgpackCompatCodec, type Codec, type DecodeLimits } from '@pipebus/core';
import { scanJson } from '../../packages/core/src/codec/json-scan.js';
import { scanMsgpack } from '../../packages/core/src/codec/msgpack-scan.js';
import { bytes, fuzzParameters } from './support/fuzz.js';

// The built-in codecs count a large frame's elements before decoding it
// (codec/msgpack-scan.ts, codec/json-scan.ts). Two promises are checked
// against the real decoders: the count never falls short of what the decoder
// builds (else the limit would not bound it), and a valid encoding within the
// limits is never refused.

const NO_DEPTH_LIMIT = 100_000;
const limits = (maxElements: number): DecodeLimits => ({ maxElements, maxDepth: NO_DEPTH_LIMIT });

/** Values the decoder created: containers, their values and Map keys (object keys are shared strings). */
function elements(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date) return 1;
  // msgpackr's one shared stand-in for the never-used byte 0xc1.
  if (seen.has(value) || value === C1) return 1;
  seen.add(value);
  let n = 1;
  if (Array.isArray(value)) for (const item of value) n += elements(item, seen);
  else if (value instanceof Map) for (const [k, v] of value) n += elements(k, seen) + elements(v, seen);
  else if (value instanceof Set) for (const item of value) n += elements(item, seen);
  else for (const key of Object.keys(value)) n += elements((value as Record<string, unknown>)[key], seen);
  return n;
}

type Scan = (bytes: Uint8Array, start: number, end: number, limits: DecodeLimits) => string | undefined;
const SCANS: ReadonlyMap<Codec, Scan> = new Map<Codec, Scan>([
  [msgpackCodec, scanMsgpack],
  [msgpackCompatCodec, scanMsgpack],
  [jsonCodec, scanJson],
]);
const scan = (codec: Codec, frame: Uint8Array, maxElements: number): string | undefined => SCANS.get(codec)!(frame, 0, frame.length, limits(maxElements));

/** The decoder's own result without any limit, or undefined when it refuses the bytes. */
function decodeFreely(codec: Codec, frame: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: codec.decode(frame, 0, limits(Number.MAX_SAFE_INTEGER)) };
  } catch {
    return undefined;
  }
}

/** Checks one encoding of a valid value: accepted without a limit, refused one element below its count. */
function checkValid(codec: Codec, frame: Uint8Array): void {
  const problem = scan(codec, frame, Number.MAX_SAFE_INTEGER);
  if (problem !== undefined) throw new Error(`refused a valid frame: ${problem}`);
  const real = elements(decodeFreely(codec, frame)!.value);
  if (real === 1) return;
  const under = scan(codec, frame, real - 1);
  if (under === undefined || !under.includes('elements')) throw new Error(`counted fewer than the ${real} elements decoded (${String(under)})`);
}

// Objects of a few shapes, so that msgpackr writes record definitions and references to them.
const shaped = fc.oneof(
  fc.record({ a: fc.integer(), b: fc.string({ maxLength: 4 }) }),
  fc.record({ a: fc.boolean(), c: fc.constant(null) }),
);
const leaf = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), fc.uint8Array({ maxLength: 40 }), fc.date({ noInvalidDate: true }));
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    shaped,
    fc.array(tie('tree'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('tree'), { maxKeys: 4 }),
    fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('tree')), { maxLength: 4 }).map((entries) => new Map(entries)),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((items) => new Set(items)),
  ),
}));

describe('decode element count under fuzzing (fast-check)', () => {
  it.each([
    ['msgpack', msgpackCodec],
    ['msgpack-compat', msgpackCompatCodec],
  ])('%s: a valid value is accepted, and refused one element below its count', (_name, codec) => {
    fc.assert(
      fc.property(tree, (value) => checkValid(codec, codec.encode(value))),
      fuzzParameters(2000),
    );
  });

  it('json: a valid value is accepted, and refused one element below its count', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => checkValid(jsonCodec, jsonCodec.encode(value))),
      fuzzParameters(2000),
    );
  });

  it.each([
    ['msgpack', msgpackCodec],
    ['msgpack-compat', msgpackCompatCodec],
    ['json', jsonCodec],
  ])('%s: arbitrary bytes never make the count throw, and what decodes is never more than was counted', (_name, codec) => {
    fc.assert(
      fc.property(bytes(64), (frame) => {
        scan(codec, frame, 1);
        const free = decodeFreely(codec, frame);
        if (free === undefined) return;
        const real = elements(free.value);
        if (real > 1 && scan(codec, frame, real - 1) === undefined) throw new Error(`decoded ${real} elements past a limit of ${real - 1}`);
      }),
      fuzzParameters(5000),
    );
  });
});
