import { describe, expect, it } from '@jest/globals';
import { Packr } from 'msgpackr';
import { BusError, DEFAULT_DECODE_LIMITS, jsonCodec, msgpackCodec, msgpackCompatCodec } from '../src/index.js';
import { decodeMessageFrame } from '../src/transport-kit/index.js';
import type { Codec, DecodeLimits } from '../src/index.js';

const MSGPACK: Array<[string, Codec]> = [
  ['msgpack', msgpackCodec],
  ['msgpack-compat', msgpackCompatCodec],
];
const ALL: Array<[string, Codec]> = [...MSGPACK, ['json', jsonCodec]];
const limits = (maxElements: number, maxDepth = 2048): DecodeLimits => ({ maxElements, maxDepth });

/** [1, 'echo', [{}, {}, …]] as msgpack: 4 + n elements in 12 + n bytes. */
function emptyMaps(n: number): Buffer {
  const bytes = Buffer.alloc(12 + n, 0x80);
  bytes.set([0x93, 0x01, 0xa4, ...Buffer.from('echo'), 0xdd], 0);
  bytes.writeUInt32BE(n, 8);
  return bytes;
}

describe('decode limits: element count', () => {
  it.each(MSGPACK)('%s refuses a frame with more elements than maxElements, before building it', (_name, codec) => {
    // The attack's frame, scaled down: 100 000 empty maps in 100 011 bytes.
    const frame = emptyMaps(100_000);
    expect(() => codec.decode(frame, 0, limits(50_000))).toThrow(/more than 50000 elements.*maxDecodedElements/);
    expect((codec.decode(frame, 0, limits(100_004)) as unknown[]).length).toBe(3);
    expect(() => codec.decode(frame, 0, limits(100_003))).toThrow(/more than 100003 elements/);
  });

  it('json refuses a document with more elements than maxElements', () => {
    const text = Buffer.from(`[1,"echo",[${'{},'.repeat(99_999)}{}]]`);
    expect(() => jsonCodec.decode(text, 0, limits(50_000))).toThrow(/more than 50000 elements/);
    // `{},` counts 2 (a bracket and a comma): JSON's count is conservative.
    expect((jsonCodec.decode(text, 0, limits(250_000)) as unknown[]).length).toBe(3);
  });

  it.each(MSGPACK)('%s applies the default limit without limits: 16 MiB of empty maps fail in a scan, not 14 s', (_name, codec) => {
    const frame = emptyMaps(DEFAULT_DECODE_LIMITS.maxElements + 1);
    expect(() => codec.decode(frame)).toThrow(/more than 262144 elements/);
  });

  it.each(ALL)('%s: bulk data is one element whatever its size', (_name, codec) => {
    const payload = new Uint8Array(1 << 20).fill(7);
    const back = codec.decode(codec.encode(['x', payload]), 0, limits(16)) as [string, Uint8Array];
    // Buffer.equals, not toEqual: jest compares a 1 MiB array element by element for seconds.
    expect(Buffer.from(back[1]).equals(payload)).toBe(true);
  });

  it.each(MSGPACK)('%s counts a record reference as an object of its defined number of values', (_name, codec) => {
    // msgpackr records: the first object defines the shape, the others are 1-byte references to it.
    const value = Array.from({ length: 1000 }, (_, i) => ({ a: i, b: 'x', c: null }));
    const bytes = msgpackCodec.encode(value);
    // 1 array + 1000 objects + 3000 values (+ the keys array and its 3 keys).
    expect(() => codec.decode(bytes, 0, limits(3999))).toThrow(/elements/);
    expect(codec.decode(bytes, 0, limits(4005))).toEqual(value);
  });

  it.each(MSGPACK)('%s counts a Set built from a string or binary by its bytes', (_name, codec) => {
    // msgpackr's Set extension wraps the next value; new Set(string) has an entry per character.
    const set = Buffer.concat([Buffer.from([0xd4, 0x73, 0x00, 0xda, 0x10, 0x00]), Buffer.alloc(4096, 0x61)]);
    expect(() => codec.decode(set, 0, limits(1000))).toThrow(/elements/);
  });

  it.each(MSGPACK)('%s counts a BigInt by its bytes: its decoding grows faster than its length', (_name, codec) => {
    const big = codec.encode(1n << 80_000n);
    expect(() => codec.decode(big, 0, limits(5000))).toThrow(/elements/);
    expect(codec.decode(big, 0, limits(20_000))).toBe(1n << 80_000n);
  });

  it('json counts a BigInt by its digits, in every frame: parsing them grows faster than their number', () => {
    // 300 001 digits in a 300 kB frame: under the default, refused whether the frame is counted or not.
    const big = jsonCodec.encode(10n ** 300_000n);
    expect(() => jsonCodec.decode(big)).toThrow(/BigInt of 300001 digits/);
    expect(jsonCodec.decode(big, 0, limits(400_000))).toBe(10n ** 300_000n);
  });
});

describe('decode limits: depth and malformed frames', () => {
  const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

  it.each(ALL)('%s refuses nesting deeper than maxDepth in a counted frame', (_name, codec) => {
    // 101 levels (the pair and 100 arrays) and 103 elements, in over 1000 bytes: counted under a limit of 200.
    const value = [nested(100), 'x'.repeat(1000)];
    const bytes = codec.encode(value);
    expect(() => codec.decode(bytes, 0, limits(200, 100))).toThrow(/more than 100 levels deep/);
    expect(codec.decode(bytes, 0, limits(200, 101))).toEqual(value);
  });

  it('json: 1M-deep brackets are refused at once, not after building them', () => {
    const text = Buffer.from('['.repeat(1 << 20) + ']'.repeat(1 << 20));
    expect(() => jsonCodec.decode(text)).toThrow(/more than 2048 levels deep/);
  });

  it.each(MSGPACK)('%s: a truncated or padded frame found by the count is refused', (_name, codec) => {
    const bytes = codec.encode(Array.from({ length: 100 }, (_, i) => `s${i}`));
    expect(() => codec.decode(bytes.subarray(0, bytes.length - 1), 0, limits(200))).toThrow(/ends inside/);
    expect(() => codec.decode(Buffer.concat([bytes, Buffer.from([0xc0])]), 0, limits(200))).toThrow(/after the value/);
  });

  it.each(MSGPACK)('%s refuses msgpackr references (structured clone), which pipebus never writes', (_name, codec) => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    const bytes = new Packr({ structuredClone: true }).pack(cyclic);
    expect(() => codec.decode(bytes)).toThrow(/[Ss]tructured clone/);
  });

  it('decodeMessageFrame passes the bus limits to the codec and reports DECODE_FAILED', () => {
    // Frame header, then [Request, 1, 'echo', [{} x 1000]].
    const frame = Buffer.concat([Buffer.from([0x10, 0x00, 0x94, 0x01, 0x01]), emptyMaps(1000).subarray(2)]);
    const codecs = Object.assign(new Map<number, Codec>([[0, msgpackCodec]]), { decodeLimits: limits(500) });
    let caught: unknown;
    try {
      decodeMessageFrame(frame, codecs);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BusError);
    expect((caught as BusError).code).toBe('DECODE_FAILED');
    expect((caught as BusError).message).toMatch(/more than 500 elements/);
  });
});
