import { describe, expect, it } from '@jest/globals';
import { MessageChannel } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import { jsonCodec, msgpackCodec, msgpackCompatCodec } from '../src/index.js';

// The msgpack codecs read typed arrays with a reader of their own (see
// readTypedArray): each kind must come back as the same class, with the same
// contents, in a buffer of its own that starts at offset 0.
describe.each([
  ['msgpack', msgpackCodec],
  ['msgpack-compat', msgpackCompatCodec],
])('%s codec typed arrays', (_name, codec) => {
  const samples: Array<[string, ArrayBufferView]> = [
    ['Int8Array', new Int8Array([-128, 0, 127])],
    ['Uint8Array', new Uint8Array([0, 1, 254, 255])],
    ['Uint8ClampedArray', new Uint8ClampedArray([0, 128, 255])],
    ['Int16Array', new Int16Array([-32768, 1, 32767])],
    ['Uint16Array', new Uint16Array([0, 65535])],
    ['Int32Array', new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
    ['Uint32Array', new Uint32Array([0, 2 ** 32 - 1])],
    ['Float32Array', new Float32Array([1.5, -0.25])],
    ['Float64Array', new Float64Array([Math.PI, -Number.MAX_VALUE])],
    ['BigInt64Array', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
    ['BigUint64Array', new BigUint64Array([0n, 2n ** 64n - 1n])],
  ];

  it.each(samples)('%s round-trips with its class, contents and an own, aligned buffer', (_type, value) => {
    // An odd offset in the encoded frame: the reader must still hand out aligned arrays.
    const bytes = codec.encode(['x', value], 3);
    const back = (codec.decode(bytes, 3) as [string, ArrayBufferView])[1];
    expect(back.constructor).toBe(value.constructor);
    expect(back).toEqual(value);
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(value.byteLength);
    expect(back.buffer).not.toBe(bytes.buffer);
  });

  it.each([0, 1, 64, 65, 4096])('a %i-byte Uint8Array is a copy: changing the frame afterwards does not change it', (length) => {
    const value = new Uint8Array(length).map((_, i) => i & 0xff);
    const bytes = codec.encode(value);
    const back = codec.decode(bytes) as Uint8Array;
    bytes.fill(0xaa);
    expect(back).toEqual(value);
    expect(back.constructor).toBe(Uint8Array);
  });

  it('round-trips an ArrayBuffer and a DataView', () => {
    const source = new Uint8Array([9, 8, 7, 6]);
    const [buffer, view] = codec.decode(codec.encode([source.buffer, new DataView(source.buffer, 1, 2)])) as [ArrayBuffer, DataView];
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(buffer)).toEqual(source);
    expect(view).toBeInstanceOf(DataView);
    expect([view.getUint8(0), view.getUint8(1), view.byteLength]).toEqual([8, 7, 2]);
  });

  it('refuses an unknown typed-array code as a decode error, not a crash', () => {
    // ext 8 (0xc7), 2 bytes, type 0x74, element code 99.
    expect(() => codec.decode(new Uint8Array([0xc7, 2, 0x74, 99, 0]))).toThrow(/typed array code 99/);
  });
});

// The codecs write Uint8Array and Buffer with a writer of their own (see
// writeBytes). msgpackr keeps one extension table per process, so the writer
// also serves every other Packr: its bytes must be exactly msgpackr's own —
// ext 0x74 code 1 with `moreTypes`, `bin` without it, `bin` for a Buffer.
describe('Uint8Array writer', () => {
  const ext = (length: number): number[] => {
    const size = length + 1;
    if (size < 0x100) return [0xc7, size, 0x74, 1];
    if (size < 0x10000) return [0xc8, size >> 8, size & 0xff, 0x74, 1];
    return [0xc9, size >>> 24, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff, 0x74, 1];
  };
  const bin = (length: number): number[] => {
    if (length < 0x100) return [0xc4, length];
    if (length < 0x10000) return [0xc5, length >> 8, length & 0xff];
    return [0xc6, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  };
  const data = (length: number): Uint8Array => new Uint8Array(length).map((_, i) => (i * 7) & 0xff);
  // Lengths at each boundary of the 8/16/32-bit length forms, for ext (length + 1) and bin.
  const lengths = [0, 1, 64, 65, 254, 255, 256, 0xfffe, 0xffff, 0x10000];

  it.each(lengths)('a %i-byte Uint8Array is ext 0x74 code 1 in both codecs, and reads back', (length) => {
    for (const codec of [msgpackCodec, msgpackCompatCodec]) {
      const value = data(length);
      const bytes = codec.encode(value);
      expect(Array.from(bytes.subarray(0, bytes.length - length))).toEqual(ext(length));
      expect(Uint8Array.from(bytes.subarray(bytes.length - length))).toEqual(value);
      expect(codec.decode(bytes)).toEqual(value);
    }
  });

  it.each(lengths)('a %i-byte Buffer is bin, and reads back as its bytes', (length) => {
    const value = Buffer.from(data(length));
    const bytes = msgpackCodec.encode(value);
    expect(Array.from(bytes.subarray(0, bytes.length - length))).toEqual(bin(length));
    expect(Buffer.from(msgpackCodec.decode(bytes) as Uint8Array)).toEqual(value);
  });

  it.each([0, 64, 300, 0x10000])('a Packr without moreTypes still gets bin for a %i-byte Uint8Array, as msgpackr writes it', (length) => {
    const value = data(length);
    const bytes = new Packr({ useRecords: false }).pack(value);
    expect(Array.from(bytes.subarray(0, bytes.length - length))).toEqual(bin(length));
    expect(Uint8Array.from(bytes.subarray(bytes.length - length))).toEqual(value);
  });

  it('writes a view at an offset, and a subclass, as their own bytes', () => {
    const backing = data(100);
    const view = backing.subarray(10, 30);
    expect(msgpackCodec.decode(msgpackCodec.encode(view))).toEqual(Uint8Array.from(view));
    class Tagged extends Uint8Array {}
    const tagged = new Tagged([1, 2, 3]);
    const back = msgpackCodec.decode(msgpackCodec.encode(tagged)) as Uint8Array;
    expect(back.constructor).toBe(Uint8Array);
    expect(Array.from(back)).toEqual([1, 2, 3]);
  });

  it('inside a larger message, keeps everything after it in place', () => {
    const value = ['before', data(300), { after: new Uint8Array([5]) }, 'end'];
    expect(msgpackCompatCodec.decode(msgpackCompatCodec.encode(value))).toEqual(value);
  });
});

// The codecs decode a frame in place through a Buffer over its whole buffer
// (see MsgpackCodec.decode): what comes out must not depend on where the
// frame's bytes sit, nor borrow them.
describe.each([
  ['msgpack', msgpackCodec],
  ['msgpack-compat', msgpackCompatCodec],
])('%s codec decoding frames where they lie', (_name, codec) => {
  const message = ['m', Buffer.from('buffer bytes'), Uint8Array.of(1, 2, 3), 'ünïcode', 2 ** 40, 1.5];
  /** `encoded` copied into a fresh buffer of `size` bytes at `at`, returned as a plain Uint8Array view. */
  const placed = (encoded: Uint8Array, at: number, size = at + encoded.byteLength + 16): Uint8Array => {
    const backing = new Uint8Array(size).fill(0xc1); // 0xc1: never valid msgpack, so an over-read cannot pass
    backing.set(encoded, at);
    return new Uint8Array(backing.buffer, at, encoded.byteLength);
  };

  it.each([
    ['a Buffer', (e: Uint8Array) => Buffer.from(e)],
    ['a plain Uint8Array', (e: Uint8Array) => Uint8Array.from(e)],
    ['a view at an offset in a larger buffer', (e: Uint8Array) => placed(e, 37)],
    ['a view in a buffer above the shared-source limit', (e: Uint8Array) => placed(e, 300 * 1024 - 8, 300 * 1024 + e.byteLength)],
  ])('from %s: a Buffer comes back a Buffer, a Uint8Array a Uint8Array, both copies', (_where, place) => {
    const frame = place(codec.encode(message));
    const back = codec.decode(frame) as typeof message;
    expect(back).toEqual(message);
    expect(Buffer.isBuffer(back[1])).toBe(true);
    expect(Buffer.isBuffer(back[2])).toBe(false);
    expect(back[2]).toBeInstanceOf(Uint8Array);
    expect((back[1] as Buffer).buffer).not.toBe(frame.buffer);
  });

  it('decodes frames of one buffer one after another, interleaved with frames of others', () => {
    const a = codec.encode(['first', 1]);
    const b = codec.encode(['second', Buffer.from('x')]);
    const backing = new Uint8Array(a.byteLength + b.byteLength + 8);
    backing.set(a, 3);
    backing.set(b, 3 + a.byteLength + 2);
    const viewA = new Uint8Array(backing.buffer, 3, a.byteLength);
    const viewB = new Uint8Array(backing.buffer, 3 + a.byteLength + 2, b.byteLength);
    const other = Buffer.from(codec.encode(['other']));
    expect(codec.decode(viewA)).toEqual(['first', 1]);
    expect(codec.decode(other)).toEqual(['other']);
    expect(codec.decode(viewB)).toEqual(['second', Buffer.from('x')]);
    expect(codec.decode(viewA)).toEqual(['first', 1]);
  });

  it('decodes from an offset inside a view', () => {
    const frame = placed(Uint8Array.of(9, 9, ...codec.encode({ k: 'v' })), 11);
    expect(codec.decode(frame, 2)).toEqual({ k: 'v' });
  });

  it('refuses a frame cut short even when valid bytes follow it in the same buffer', () => {
    const whole = codec.encode(['a string long enough to be cut', 12345]);
    const backing = new Uint8Array(whole.byteLength * 2);
    backing.set(whole, 0);
    backing.set(whole, whole.byteLength);
    expect(() => codec.decode(new Uint8Array(backing.buffer, 0, whole.byteLength - 5))).toThrow();
    expect(() => codec.decode(new Uint8Array(backing.buffer, whole.byteLength, 0))).toThrow();
    expect(codec.decode(new Uint8Array(backing.buffer, whole.byteLength, whole.byteLength))).toEqual(['a string long enough to be cut', 12345]);
  });
});

describe.each([
  ['msgpack', msgpackCodec],
  ['msgpack-compat', msgpackCompatCodec],
])('%s codec: received Uint8Array payloads', (_name, codec) => {
  const sizes = [0, 1, 64, 65, 100, 1000, 4096, 4097, 20_000];
  const payloadOf = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);

  it('arrive whole and independent: of the frame, and of each other where they share a slab', () => {
    const sent = sizes.flatMap((size) => [payloadOf(size, 1), payloadOf(size, 2)]);
    const frame = codec.encode(sent);
    const back = codec.decode(frame) as Uint8Array[];
    expect(back).toEqual(sent);
    for (const payload of back) {
      expect(payload.constructor).toBe(Uint8Array);
      payload.fill(0xee); // writing one must not touch the others nor the frame
    }
    expect(codec.decode(frame)).toEqual(sent);
    back.forEach((payload) => expect(payload.every((byte) => byte === 0xee)).toBe(true));
  });

  it('start 8-byte aligned, so that their bytes can back any typed array', () => {
    const back = codec.decode(codec.encode([payloadOf(70, 3), payloadOf(90, 4), payloadOf(1001, 5)])) as Uint8Array[];
    for (const payload of back) expect(payload.byteOffset % 8).toBe(0);
    expect(new Float64Array(back[2]!.buffer, back[2]!.byteOffset, 125)).toHaveLength(125);
  });

  it('cannot detach their neighbours when one payload\'s buffer is offered for transfer', () => {
    const [a, b] = codec.decode(codec.encode([payloadOf(200, 6), payloadOf(200, 7)])) as Uint8Array[];
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(a, [a!.buffer]);
    } catch {
      // Newer Node throws for an untransferable buffer; older Node copies instead.
    } finally {
      port1.close();
      port2.close();
    }
    expect(b).toEqual(payloadOf(200, 7));
    expect(a).toEqual(payloadOf(200, 6));
  });
});

describe.each([
  ['msgpack', msgpackCodec],
  ['msgpack-compat', msgpackCompatCodec],
  ['json', jsonCodec],
])('%s codec decode() arguments', (_name, codec) => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return undefined;
  };
  it('refuses what is not a Uint8Array, and an offset outside the bytes, with INVALID_ARGUMENT', () => {
    const bytes = codec.encode([1, 'x']);
    for (const wrong of [null, undefined, 'bytes', [1, 2], new ArrayBuffer(4), {}]) expect(code(() => codec.decode(wrong as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
    for (const offset of [-1, 1.5, bytes.byteLength + 1, Number.NaN]) expect(code(() => codec.decode(bytes, offset))).toBe('INVALID_ARGUMENT');
    expect(codec.decode(bytes, 0)).toEqual([1, 'x']);
  });
});
