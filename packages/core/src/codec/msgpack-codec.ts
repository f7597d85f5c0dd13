// 'msgpackr/pack' is msgpackr's pure-JS entry: all of Packr, without the native
// string extractor that the main entry loads at once (see loadNativeStrings).
import { Packr, RESERVE_START_SPACE, addExtension } from 'msgpackr/pack';
import type { Codec } from './codec.js';
import { CodecId, checkDecodeArguments, markBuiltinCodec } from './codec.js';
import type { DecodeLimits } from './decode-limits.js';
import { DEFAULT_DECODE_LIMITS } from './decode-limits.js';
import { allocateBytes } from './byte-slab.js';
import { scanMsgpack } from './msgpack-scan.js';
import { importMsgpackrMain } from './msgpackr-main.js';

/**
 * Options shared by both msgpack flavours. `maxSharedStructures: 0` matters:
 * msgpackr's records would otherwise refer to structures defined in earlier
 * messages, which a receiver that missed or reordered a frame (a mailslot)
 * cannot resolve. With it, every message carries its own record definitions.
 * `structuredClone: false` refuses msgpackr's reference extensions (0x69,
 * 0x70), which pipebus never writes: with them a peer could send a value
 * that refers to itself, or a few bytes that a recursive walk over the
 * payload (a logger, JSON.stringify) sees as an exponentially large tree.
 */
const COMMON = { moreTypes: true, useBigIntExtension: true, maxSharedStructures: 0, copyBuffers: true, structuredClone: false } as const;

/** msgpackr's extension type for typed arrays (`moreTypes`); byte 0 of its data is the element type. */
const TYPED_ARRAY_EXTENSION = 0x74;
/** Element types in msgpackr's order: the index is the code in byte 0. */
const TYPED_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array] as const;
const UINT8_CODE = 1;
const ARRAY_BUFFER_CODE = 16;
const DATA_VIEW_CODE = 17;

/**
 * Reads msgpackr's typed-array extension, with the same result as msgpackr's
 * own reader but without its cost for `Uint8Array`, the payload type of every
 * binary message: msgpackr copies the bytes, then reads `.buffer` of the copy,
 * which makes V8 move a small on-heap array to a fresh off-heap backing store.
 * That one detour was ~0.5–1 µs of every decode (and most of the GC) in the
 * named-pipe bench; copying into a `new Uint8Array(length)` skips it. Other
 * element types still get an aligned copy of their own, as before.
 *
 * msgpackr keeps one extension table per process, so this reader serves any
 * msgpackr user in the process; its results are identical to msgpackr's.
 */
function readTypedArray(data: Uint8Array): unknown {
  const code = data[0];
  if (code === UINT8_CODE) {
    const length = data.byteLength - 1;
    const array = allocateBytes(length);
    // From a plain Uint8Array view: `data` is a Buffer, and a Buffer's own
    // subarray() builds a FastBuffer, a cost that topped the echo server's
    // profile (1.15 -> 1.11 µs per request on the bus's server path). A
    // byte loop was slower still (1.6 µs).
    array.set(new Uint8Array(data.buffer, data.byteOffset + 1, length));
    return array;
  }
  // A copy in a buffer of its own, aligned for any element size. (`data` may be
  // a Buffer, whose own slice() is a view, hence Uint8Array's.)
  const buffer = Uint8Array.prototype.slice.call(data, 1).buffer;
  if (code === ARRAY_BUFFER_CODE) return buffer;
  if (code === DATA_VIEW_CODE) return new DataView(buffer);
  const Type = code === undefined ? undefined : TYPED_ARRAYS[code];
  if (Type === undefined) throw new Error(`unknown typed array code ${String(code)}`);
  return new Type(buffer);
}
/** Where msgpackr lets an extension write in place (what its own built-in extensions use). */
type AllocateForWrite = (size: number) => { target: Uint8Array; position: number };

/**
 * Writes a `Uint8Array` (or `Buffer`) with exactly the bytes msgpackr's own
 * writer produces — ext 0x74 code 1 when `moreTypes` is on, otherwise `bin`;
 * a `Buffer` always as `bin` — but copies from the array itself. msgpackr's
 * writer copies from `new Uint8Array(value.buffer, …)`, and reading `.buffer`
 * of a small on-heap array (every payload our reader hands out is one) moves
 * it to a fresh off-heap store: on an echo server that was one malloc and a
 * GC-tracked external allocation per reply. Any other subclass of Uint8Array
 * goes as code 1 too, where msgpackr would write code 255 and fail to read it.
 */
function writeBytes(this: { moreTypes?: boolean }, value: Uint8Array, allocateForWrite: AllocateForWrite): undefined {
  const length = value.byteLength;
  const asExtension = this.moreTypes === true && !Buffer.isBuffer(value);
  // ext: marker, length (of code byte + data), 0x74, code 1; bin: marker, length.
  const size = length + (asExtension ? 1 : 0);
  const lengthBytes = size < 0x100 ? 1 : size < 0x10000 ? 2 : 4;
  const { target, position } = allocateForWrite(1 + lengthBytes + (asExtension ? 2 : 0) + length);
  let at = position;
  target[at++] = (asExtension ? 0xc7 : 0xc4) + (lengthBytes === 1 ? 0 : lengthBytes === 2 ? 1 : 2);
  for (let shift = (lengthBytes - 1) * 8; shift >= 0; shift -= 8) target[at++] = (size >>> shift) & 0xff;
  if (asExtension) {
    target[at++] = TYPED_ARRAY_EXTENSION;
    target[at++] = UINT8_CODE;
  }
  target.set(value, at);
  return undefined;
}
// One registration for both directions: msgpackr keys readers by type, so a
// second registration of 0x74 would replace the reader. Its typings leave out
// the in-place writer its built-ins use: the pack hook is typed here as what
// it is, and codec.test pins the bytes it writes.
addExtension({
  Class: Uint8Array,
  type: TYPED_ARRAY_EXTENSION,
  pack: writeBytes as unknown as (value: unknown) => Buffer,
  unpack: readTypedArray,
});

/**
 * msgpackr reads strings natively (msgpackr-extract) only in sources of
 * {@link NATIVE_STRINGS_FROM} bytes or more; below that its JS reader is faster.
 */
const NATIVE_STRINGS_FROM = 140;
let nativeStrings: Promise<void> | undefined;

/**
 * Loads msgpackr's main entry in the background, the first time a frame is
 * large enough for its native string extractor to matter. That entry installs
 * the extractor into the reader that 'msgpackr/pack' shares (the same
 * module), which decodes string-heavy messages 2–5× faster. Loading it at
 * start-up would cost every process ~0.3 MB of heap (the addon's loader,
 * msgpackr's stream classes), even one that only ever sends small frames.
 * Until it arrives, and where the addon is missing, the JS reader gives the
 * same values; msgpackr's MSGPACKR_NATIVE_ACCELERATION_DISABLED still applies.
 * (The CommonJS build loads msgpackr's whole node build at once: see
 * msgpackr-main-cjs.cts.)
 */
function loadNativeStrings(): void {
  nativeStrings = importMsgpackrMain().then(
    () => undefined,
    () => {
      // msgpackr's main entry only fails to load where the pure one would
      // too; the JS reader goes on serving.
    },
  );
}

/**
 * Settles once msgpackr's main entry, asked for by a large frame, is loaded;
 * undefined while no frame has asked. Internal (not exported by the package):
 * tests use it to wait for the load instead of sleeping.
 * @internal
 */
export function nativeStringsLoaded(): Promise<void> | undefined {
  return nativeStrings;
}

class MsgpackCodec implements Codec {
  readonly #packr: Packr;
  constructor(
    readonly id: number,
    readonly name: string,
    records: boolean,
  ) {
    this.#packr = new Packr({ ...COMMON, useRecords: records, mapsAsObjects: !records });
  }
  encode(value: unknown, headroom = 0): Uint8Array {
    if (headroom === 0) return this.#packr.pack(value);
    if (!Number.isInteger(headroom) || headroom < 0 || headroom > 0xff) throw new RangeError(`headroom must be 0-255, got ${headroom}`);
    // msgpackr leaves the reserved bytes at the start of the returned view.
    return this.#packr.pack(value, RESERVE_START_SPACE | headroom);
  }
  /**
   * msgpackr decodes `bin` as a Buffer only when its source is one, so a
   * plain Uint8Array frame (a view of a socket read, a reassembled message)
   * is read through a Buffer view of the same bytes: a Buffer payload then
   * arrives a Buffer whatever carried it. `copyBuffers` makes every `bin`
   * value a Buffer of its own, so a payload the application keeps never pins
   * the read buffer its frame came in.
   */
  decode(bytes: Uint8Array, offset = 0, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): unknown {
    checkDecodeArguments(this.name, bytes, offset);
    // Every element takes at least one byte, so a frame no longer than
    // maxElements needs no count: the hot path of small messages is unchanged.
    if (bytes.byteLength - offset > limits.maxElements) {
      const problem = scanMsgpack(bytes, offset, bytes.byteLength, limits);
      if (problem !== undefined) throw new Error(problem);
    }
    const source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (nativeStrings === undefined && source.length >= NATIVE_STRINGS_FROM) loadNativeStrings();
    return offset === 0 ? this.#packr.unpack(source) : this.#packr.unpack(source, { start: offset });
  }
}

/**
 * The default codec: msgpackr with records, so `Map`, `Set`, `Date`, `BigInt`
 * (any size), typed arrays, `Buffer` and `Error` values arrive as they left.
 * Objects are written as self-describing records (no state shared between
 * messages), which costs about twice the CPU of {@link msgpackCompatCodec}.
 */
export const msgpackCodec: Codec = markBuiltinCodec(new MsgpackCodec(CodecId.Msgpack, 'msgpack', true));

/**
 * Standard MessagePack that any decoder in any language reads, and the
 * fastest codec here. `Map`s arrive as plain objects (string keys); `Set`,
 * `Date`, `BigInt` and typed arrays still round-trip between pipebus peers.
 */
export const msgpackCompatCodec: Codec = markBuiltinCodec(new MsgpackCodec(CodecId.MsgpackCompat, 'msgpack-compat', false));
