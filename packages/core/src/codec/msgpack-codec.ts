import { Packr } from 'msgpackr';
import type { Codec } from './codec.js';
import { CodecId } from './codec.js';

/**
 * Options shared by both msgpack flavours. `maxSharedStructures: 0` matters:
 * msgpackr's records would otherwise refer to structures defined in earlier
 * messages, which a receiver that missed or reordered a frame (a mailslot)
 * cannot resolve. With it, every message carries its own record definitions.
 */
const COMMON = { moreTypes: true, useBigIntExtension: true, maxSharedStructures: 0 } as const;

class MsgpackCodec implements Codec {
  readonly #packr: Packr;
  constructor(
    readonly id: number,
    readonly name: string,
    records: boolean,
  ) {
    this.#packr = new Packr({ ...COMMON, useRecords: records, mapsAsObjects: !records });
  }
  encode(value: unknown): Uint8Array {
    return this.#packr.pack(value);
  }
  decode(bytes: Uint8Array): unknown {
    return this.#packr.unpack(bytes);
  }
}

/**
 * The default codec: msgpackr with records, so `Map`, `Set`, `Date`, `BigInt`
 * (any size), typed arrays, `Buffer` and `Error` values arrive as they left.
 * Objects are written as self-describing records (no state shared between
 * messages), which costs about twice the CPU of {@link msgpackCompatCodec}.
 */
export const msgpackCodec: Codec = new MsgpackCodec(CodecId.Msgpack, 'msgpack', true);

/**
 * Standard MessagePack that any decoder in any language reads, and the
 * fastest codec here. `Map`s arrive as plain objects (string keys); `Set`,
 * `Date`, `BigInt` and typed arrays still round-trip between pipebus peers.
 */
export const msgpackCompatCodec: Codec = new MsgpackCodec(CodecId.MsgpackCompat, 'msgpack-compat', false);
