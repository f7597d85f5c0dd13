export { CodecId } from './codec.js';
export type { Codec } from './codec.js';
export { msgpackCodec, msgpackCompatCodec } from './msgpack-codec.js';
export { jsonCodec } from './json-codec.js';
export { DEFAULT_DECODE_LIMITS, DEFAULT_MAX_DECODED_ELEMENTS, MAX_DECODED_DEPTH } from './decode-limits.js';
export type { DecodeLimits } from './decode-limits.js';
export { findUnencodable } from './encodable.js';
export type { Unencodable } from './encodable.js';
