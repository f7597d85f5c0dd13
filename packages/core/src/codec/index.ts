export { CodecId } from './codec.js';
export type { Codec } from './codec.js';
export { msgpackCodec, msgpackCompatCodec } from './msgpack-codec.js';
export { jsonCodec } from './json-codec.js';
