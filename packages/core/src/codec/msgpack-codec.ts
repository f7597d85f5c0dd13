import { Packr, RESERVE_START_SPACE } from 'msgpackr';
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
  encode(value: unknown, headroom = 0): Uint8Array {
    if (headroom === 0) return this.#packr.pack(value);
    if (!Number.isInteger(headroom) || headroom < 0 || headroom > 0xff) throw new RangeError(`headroom must be 0-255, got ${headroom}`);
    // msgpackr leaves the reserved bytes at the start of the returned view.
    return this.#packr.pack(value, RESERVE_START_SPACE | headroom);
  }
  decode(bytes: Uint8Array, offset = 0): unknown {
    return offset === 0 ? this.#packr.unpack(bytes) : this.#packr.unpack(bytes, { start: offset });
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
