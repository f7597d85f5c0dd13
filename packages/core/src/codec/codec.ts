import { hasBrand, setBrand } from '../brand/brand.js';
import { invalidArgument } from '../errors/bus-error.js';
import { describeValue } from '../transport/describe-value.js';
import type { DecodeLimits } from './decode-limits.js';
/**
 * Turns envelopes into bytes and back. The bus writes the codec's `id` into
 * every message frame, so a receiver decodes with the codec the sender used:
 * peers with different defaults still understand each other as long as both
 * know the codec.
 */
export interface Codec {
  /** Wire id, 0–255. 0–127 are reserved for pipebus; use 128–255 for your own. */
  readonly id: number;
  /** Name for logs and errors. */
  readonly name: string;
  /**
   * Encodes a value; throws when the value cannot be represented. With
   * `headroom`, the result starts with that many bytes for the caller's
   * header (their content is unspecified): the frame header is then written
   * in place instead of copying the whole body behind it.
   */
  encode(value: unknown, headroom?: number): Uint8Array;
  /**
   * Decodes `bytes` from `offset` (default 0) to the end; throws on malformed
   * input (the bus counts and drops it). The offset spares the bus a
   * `subarray` view per frame, which costs more than it looks.
   *
   * `limits` are the receiving bus's (`maxDecodedElements`): the built-in
   * codecs refuse input with more elements, or deeper nesting, before
   * building anything (without `limits`, {@link DEFAULT_DECODE_LIMITS}). A
   * codec of your own should bound its work the same way: its decode() runs
   * on every frame a peer sends.
   */
  decode(bytes: Uint8Array, offset?: number, limits?: DecodeLimits): unknown;
}

/** Wire ids of the built-in codecs. */
export const CodecId = {
  /** msgpackr records mode: Maps, Sets, Dates, BigInt, typed arrays, Errors round-trip. */
  Msgpack: 0,
  /** Standard MessagePack (any decoder reads it); Maps arrive as plain objects. */
  MsgpackCompat: 1,
  /** UTF-8 JSON with tagged binary and BigInt values. */
  Json: 2,
} as const;

/**
 * For the built-in codecs' decode(): `bytes` must be a Uint8Array (a Buffer
 * is one) and `offset` an index in it. A caller's mistake then gets
 * INVALID_ARGUMENT rather than a TypeError from deep inside a decoder.
 */
export function checkDecodeArguments(codec: string, bytes: unknown, offset: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw invalidArgument(`${codec}.decode() takes a Uint8Array (or Buffer), got ${describeValue(bytes)}`);
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > bytes.byteLength) {
    throw invalidArgument(`${codec}.decode() offset must be an integer from 0 to ${bytes.byteLength}, got ${String(offset)}`);
  }
}

/**
 * Marks the built-in codecs (msgpack, msgpack-compat, json), whose mapping the
 * bus knows well enough to check payloads against. A `Symbol.for` brand, not
 * identity: a bus of the ESM copy of core given a codec of the CommonJS copy
 * must still check.
 */
const BUILTIN_CODEC = Symbol.for('pipebus.builtinCodec');

/** Brands `codec` as built in (see {@link isBuiltinCodec}). Internal. */
export function markBuiltinCodec<C extends object>(codec: C): C {
  setBrand(codec, BUILTIN_CODEC);
  return codec;
}

/** True for a built-in codec of any copy of this package. */
export function isBuiltinCodec(codec: unknown): boolean {
  return hasBrand(codec, BUILTIN_CODEC);
}
