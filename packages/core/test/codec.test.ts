import { describe, expect, it } from '@jest/globals';
import { msgpackCodec, msgpackCompatCodec } from '../src/index.js';

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
