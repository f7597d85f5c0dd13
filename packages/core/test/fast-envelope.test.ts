import { describe, expect, it } from '@jest/globals';
import { Packr } from 'msgpackr';
import { msgpackCodec, msgpackCompatCodec } from '../src/index.js';
import type { Codec } from '../src/codec/index.js';
import { decodeMessageFrame, encodeMessageFrame, Kind } from '../src/envelope/index.js';
import type { Envelope } from '../src/envelope/index.js';
import { decodeEnvelopeFast, encodeEnvelopeFast } from '../src/envelope/fast-envelope.js';
import { MESSAGE_FRAME_BYTE } from '../src/wire/index.js';

// The envelope's fast path must write exactly the bytes msgpackr writes (the
// codecs' own encode, which goes through msgpackr), and read back what
// msgpackr reads; everything it does not handle goes to msgpackr.

const bytes = (length: number): Uint8Array => new Uint8Array(length).map((_, i) => (i * 7 + 1) & 0xff);
const buffer = (length: number): Buffer => Buffer.from(bytes(length));
/** A string of `length` UTF-16 units made of `unit`. */
const text = (length: number, unit = 'a'): string => unit.repeat(length);

const NAMES: Array<[string, string]> = [
  ['empty', ''],
  ['short', 'echo'],
  ['31 chars', text(31)],
  ['32 chars', text(32)],
  ['63 chars', text(63)],
  ['64 chars', text(64)],
  ['255 chars', text(255)],
  ['256 chars', text(256)],
  ['1024 chars', text(1024)],
  ['non-ASCII (2-byte)', 'café.zählen'],
  ['non-ASCII crossing 31/32 bytes', text(30) + 'é'],
  ['non-ASCII crossing 255/256 bytes', text(20) + 'é'.repeat(118)],
  ['3-byte and surrogate pairs', '服务.😀.调用'],
  ['a lone surrogate', 'x\ud800y'],
  ['non-ASCII, 64 chars (msgpackr native path)', 'é'.repeat(64)],
];

const PAYLOADS: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['true', true],
  ['false', false],
  ['0', 0],
  ['-0', -0],
  ['31', 31],
  ['32', 32],
  ['63', 63],
  ['64', 64],
  ['127', 127],
  ['128', 128],
  ['255', 255],
  ['256', 256],
  ['65535', 65535],
  ['65536', 65536],
  ['2^32-1', 2 ** 32 - 1],
  ['2^32', 2 ** 32],
  ['-1', -1],
  ['-32', -32],
  ['-33', -33],
  ['-128', -128],
  ['-129', -129],
  ['-32768', -32768],
  ['-32769', -32769],
  ['-2^31', -(2 ** 31)],
  ['1.5', 1.5],
  ['NaN', Number.NaN],
  ['-Infinity', -Infinity],
  ['string ""', ''],
  ['string 31', text(31)],
  ['string 32', text(32)],
  ['string 255', text(255)],
  ['string 256', text(256)],
  ['string 300 (msgpackr only)', text(300)],
  ['string non-ASCII', 'grüße 😀'],
  ['string non-ASCII 100 (msgpackr only)', 'ü'.repeat(100)],
  ...[0, 1, 30, 31, 32, 64, 65, 254, 255, 256, 1024, 4095, 4096, 65534, 65535, 65536, 70_000].map((n): [string, unknown] => [`Uint8Array ${n}`, bytes(n)]),
  ...[0, 31, 32, 255, 256, 65535, 65536].map((n): [string, unknown] => [`Buffer ${n}`, buffer(n)]),
  ['a Uint8Array view at an offset', bytes(100).subarray(3, 40)],
  ['object (msgpackr only)', { a: 1 }],
  ['array (msgpackr only)', [1, 2]],
  ['Int16Array (msgpackr only)', new Int16Array([1, -2])],
  ['bigint (msgpackr only)', 5n],
];

const IDS = [0, 1, 31, 32, 63, 64, 127, 128, 255, 256, 65535, 65536, 0xffffffff];

const CODECS: Array<[string, Codec, boolean]> = [
  ['msgpack', msgpackCodec, true],
  ['msgpack-compat', msgpackCompatCodec, false],
];

/** The frame the old path gave: the codec's encode of the wire array, with the header written in. */
function viaMsgpackr(envelope: Envelope, codec: Codec): Uint8Array {
  const frame = codec.encode([envelope.kind, envelope.id, envelope.name, envelope.payload], 2);
  frame[0] = MESSAGE_FRAME_BYTE;
  frame[1] = codec.id;
  return frame;
}

const envelope = (id: number, name: string, payload: unknown, kind: Kind = Kind.Request): Envelope => ({ kind, id, name, payload, headers: undefined });
const hex = (frame: Uint8Array): string => Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('hex');
/** Byte equality; on a difference, the hex of both (short ones whole) to read it by. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.compare(actual, expected) === 0) return;
  expect(hex(actual).slice(0, 200)).toBe(hex(expected).slice(0, 200));
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

describe.each(CODECS)('%s: the envelope fast path', (_name, codec, records) => {
  it.each(NAMES)('writes a %s name as msgpackr does', (_label, name) => {
    for (const id of IDS) {
      const e = envelope(id, name, bytes(64));
      expectSameBytes(encodeMessageFrame(e, codec), viaMsgpackr(e, codec));
    }
  });

  it.each(PAYLOADS)('writes a %s payload as msgpackr does, and reads it back as msgpackr does', (_label, payload) => {
    for (const kind of [Kind.Request, Kind.Pong]) {
      const e = envelope(70_000, 'svc.method', payload, kind);
      const frame = encodeMessageFrame(e, codec);
      const reference = viaMsgpackr(e, codec);
      expectSameBytes(frame, reference);
      const decoded = decodeMessageFrame(frame, new Map([[codec.id, codec]]));
      const old = codec.decode(reference, 2) as unknown[];
      expect(decoded).toEqual({ kind, id: 70_000, name: 'svc.method', payload: old[3], headers: undefined });
      if (payload instanceof Uint8Array) expect(Object.getPrototypeOf(decoded.payload)).toBe(Object.getPrototypeOf(old[3]));
    }
  });

  it('takes the fast path for byte arrays and scalars, and leaves the rest to msgpackr', () => {
    const fast = (payload: unknown): boolean => encodeEnvelopeFast(Kind.Request, 1, 'm', payload, records) !== undefined;
    expect([bytes(64), buffer(64), 1, 'x', undefined, null, true].every(fast)).toBe(true);
    expect([{}, [], new Int16Array(1), 1n, text(300), 'é'.repeat(100), new (class extends Uint8Array {})(2)].some(fast)).toBe(false);
    expect(encodeEnvelopeFast(Kind.Request, 1, 'é'.repeat(64), 1, records)).toBeUndefined();
  });

  it('reads the common message by hand and leaves anything else to msgpackr', () => {
    const read = (e: Envelope): boolean => decodeEnvelopeFast(viaMsgpackr(e, codec), records, undefined) !== undefined;
    expect(read(envelope(1, 'echo', bytes(1024)))).toBe(true);
    expect(read(envelope(1, 'echo', buffer(10)))).toBe(true);
    // Non-ASCII names, objects, headers: msgpackr's.
    expect(read(envelope(1, 'café', 1))).toBe(false);
    expect(read(envelope(1, 'echo', { a: 1 }))).toBe(false);
    const withHeaders = codec.encode([Kind.Request, 1, 'echo', 1, { h: 'v' }], 2);
    expect(decodeEnvelopeFast(withHeaders, records, undefined)).toBeUndefined();
    // A limit too small for the envelope itself is msgpackr's to apply.
    expect(decodeEnvelopeFast(viaMsgpackr(envelope(1, 'echo', 1), codec), records, { maxElements: 4, maxDepth: 64 })).toBeUndefined();
  });

  it('refuses what validateWire refuses, with its errors', () => {
    const codecs = new Map([[codec.id, codec]]);
    const withKind = (kind: number): Uint8Array => viaMsgpackr(envelope(1, 'echo', 1, kind as Kind), codec);
    expect(() => decodeMessageFrame(withKind(0), codecs)).toThrow(/unknown envelope kind 0/);
    expect(() => decodeMessageFrame(withKind(11), codecs)).toThrow(/unknown envelope kind 11/);
    expect(() => decodeMessageFrame(viaMsgpackr(envelope(1, text(1025), 1), codec), codecs)).toThrow(/1025 characters long/);
    // Trailing bytes after the envelope, and a truncated payload: never read by hand.
    const frame = viaMsgpackr(envelope(1, 'echo', bytes(100)), codec);
    const longer = new Uint8Array(frame.length + 1);
    longer.set(frame);
    expect(decodeEnvelopeFast(longer, records, undefined)).toBeUndefined();
    expect(decodeEnvelopeFast(frame.subarray(0, frame.length - 1), records, undefined)).toBeUndefined();
  });

  it('gives payloads that are copies, independent of the frame', () => {
    const codecs = new Map([[codec.id, codec]]);
    for (const payload of [bytes(10), bytes(100), buffer(100)]) {
      const frame = encodeMessageFrame(envelope(1, 'echo', payload), codec);
      const { payload: back } = decodeMessageFrame(frame, codecs);
      frame.fill(0xaa);
      expect(back).toEqual(payload);
    }
  });

  it('gives a plain Uint8Array payload of its own from a plain frame, a view into a larger read and a Buffer', () => {
    const codecs = new Map([[codec.id, codec]]);
    for (const size of [0, 10, 64, 65]) {
      const frame = encodeMessageFrame(envelope(1, 'echo', bytes(size)), codec);
      const read = new Uint8Array(frame.byteLength + 200);
      read.set(frame, 100);
      for (const given of [Uint8Array.from(frame), read.subarray(100, 100 + frame.byteLength), Buffer.from(frame)]) {
        const { payload } = decodeMessageFrame(given, codecs);
        expect((payload as Uint8Array).constructor).toBe(Uint8Array);
        expect((payload as Uint8Array).buffer).not.toBe(given.buffer);
        expect(payload).toEqual(bytes(size));
        given.fill(0xaa);
        expect(payload).toEqual(bytes(size));
      }
    }
  });

  it('gives frames that later encodes never overwrite', () => {
    const first = encodeMessageFrame(envelope(1, 'echo', bytes(1000)), codec);
    const copy = Uint8Array.from(first);
    for (let i = 0; i < 100; i++) encodeMessageFrame(envelope(i, 'other', bytes(3000)), codec);
    expect(first).toEqual(copy);
  });

  it('reads msgpackr-written frames that msgpackr alone wrote (other encoders) the same', () => {
    // msgpackr itself (not the codec) for the envelope: the wire stays readable to any writer.
    const packr = new Packr({ useRecords: records, moreTypes: true });
    const body = packr.pack([Kind.Response, 5, 'echo', true]);
    const frame = new Uint8Array(body.length + 2);
    frame.set(body, 2);
    frame[0] = MESSAGE_FRAME_BYTE;
    frame[1] = codec.id;
    expect(decodeMessageFrame(frame, new Map([[codec.id, codec]]))).toEqual(envelope(5, 'echo', true, Kind.Response));
  });
});
