/**
 * Bounds on what one decode may build. A decoder's work and memory grow with
 * the number of values it creates, not with the bytes it reads: an array of
 * 16 M empty maps is 16 MiB on the wire and 3 GiB of heap once decoded. The
 * built-in codecs count a frame's elements before decoding it and refuse it
 * when there are too many (see {@link Codec.decode}).
 */
export interface DecodeLimits {
  /**
   * Most elements one frame may decode to: every scalar, string, binary,
   * container and extension value counts one (a BigInt one per 8 bytes of
   * its encoding). A frame of at most this many bytes cannot hold more, so it
   * is decoded without the count.
   */
  readonly maxElements: number;
  /** Deepest nesting of containers that a counted frame may have. */
  readonly maxDepth: number;
}

/**
 * 256 Ki elements: 4 times the largest structured payload in the benches
 * (and of a 1 MiB JSON document of small records), yet an array of that
 * many empty maps decodes in ~0.2 s and ~50 MB, against 14 s and 3 GiB for
 * the 16 M of a 16 MiB frame. Bulk data goes as one element whatever its
 * size: a Uint8Array, a typed array or a string.
 */
export const DEFAULT_MAX_DECODED_ELEMENTS = 262_144;

/**
 * The built-in decoders recurse per level, and their own stack gives out
 * between ~4 000 (JSON's reviver) and ~8 000 (msgpackr) levels, with a
 * RangeError that the bus reports as DECODE_FAILED. 2048 keeps a counted
 * frame within what an uncounted one could decode anyway, so the size of a
 * frame does not change which nesting gets through.
 */
export const MAX_DECODED_DEPTH = 2048;

/** What the built-in codecs apply when decode() is called without limits. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({ maxElements: DEFAULT_MAX_DECODED_ELEMENTS, maxDepth: MAX_DECODED_DEPTH });

/** The reason a frame with too many elements was refused, with what to change. */
export function tooManyElements(limits: DecodeLimits): string {
  return `frame holds more than ${limits.maxElements} elements (the receiver's maxDecodedElements); send bulk data as one Uint8Array or typed array, which counts as one element, or raise maxDecodedElements on the receiving bus`;
}

/** The reason a frame nested too deep was refused. */
export function tooDeep(limits: DecodeLimits): string {
  return `frame nests containers more than ${limits.maxDepth} levels deep`;
}
