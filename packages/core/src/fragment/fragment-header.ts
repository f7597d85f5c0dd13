import { FRAGMENT_FRAME_BYTE } from '../wire/frame-types.js';

/**
 * Bytes before the chunk in every fragment frame. Layout (big-endian):
 *
 * ```
 * 0      u8   0x11  FRAGMENT_FRAME_BYTE (wire version 1, type fragment)
 * 1      u8   flags, 0 when sent; receivers ignore unknown bits
 * 2..5   u32  sender id (random per sending bus instance)
 * 6..9   u32  message sequence (per sender, wraps)
 * 10..11 u16  fragment index (0-based)
 * 12..13 u16  fragment count (>= 1)
 * 14..17 u32  total length in bytes of the reassembled message
 * 18..        chunk bytes
 * ```
 *
 * The header carries no chunk offset, so the format has one more rule: every
 * fragment except the last carries the same number of chunk bytes, and the
 * last carries between 1 and that many. A receiver can then place any
 * fragment at `index * chunkSize` as soon as it arrives, whatever the order,
 * and check each fragment against `total` on its own.
 */
export const FRAGMENT_HEADER_SIZE = 18;

/** Most fragments one message may have (the count is a u16). */
export const MAX_FRAGMENT_COUNT = 0xffff;

/** The decoded header of one fragment frame (internal to this folder). */
export interface FragmentHeader {
  readonly senderId: number;
  readonly sequence: number;
  readonly index: number;
  readonly count: number;
  readonly total: number;
}

/**
 * Writes a header into `frame[0..18)`. Byte shifts instead of a DataView so
 * that splitting a large message allocates nothing but the frames themselves.
 */
export function writeFragmentHeader(
  frame: Uint8Array,
  senderId: number,
  sequence: number,
  index: number,
  count: number,
  total: number,
): void {
  frame[0] = FRAGMENT_FRAME_BYTE;
  frame[1] = 0;
  writeU32(frame, 2, senderId);
  writeU32(frame, 6, sequence);
  frame[10] = (index >>> 8) & 0xff;
  frame[11] = index & 0xff;
  frame[12] = (count >>> 8) & 0xff;
  frame[13] = count & 0xff;
  writeU32(frame, 14, total);
}

/**
 * Reads the header of a frame whose length is already known to be at least
 * {@link FRAGMENT_HEADER_SIZE}. Performs no validation beyond decoding.
 */
export function readFragmentHeader(frame: Uint8Array): FragmentHeader {
  return {
    senderId: readU32(frame, 2),
    sequence: readU32(frame, 6),
    index: (frame[10]! << 8) | frame[11]!,
    count: (frame[12]! << 8) | frame[13]!,
    total: readU32(frame, 14),
  };
}

function writeU32(frame: Uint8Array, at: number, value: number): void {
  frame[at] = (value >>> 24) & 0xff;
  frame[at + 1] = (value >>> 16) & 0xff;
  frame[at + 2] = (value >>> 8) & 0xff;
  frame[at + 3] = value & 0xff;
}

function readU32(frame: Uint8Array, at: number): number {
  // `>>> 0` keeps values >= 2^31 positive.
  return ((frame[at]! << 24) | (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!) >>> 0;
}
