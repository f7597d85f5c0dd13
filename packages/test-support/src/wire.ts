// Frames written by hand from the wire format (docs/architecture.md, "Wire
// format"), not by core's own encoder: a test built on them checks core
// against the specification rather than against itself. This package depends
// on nothing, so the constants are spelled out here.

/** Wire version 1, frame type 1: a fragment. */
const FRAGMENT_FRAME_BYTE = 0x11;
/** Flags, sender id u32, sequence u32, index u16, count u16, total u32. */
const FRAGMENT_HEADER_BYTES = 18;

/**
 * The first fragment (index 0) of a message of `total` bytes split into
 * `frameSize`-byte frames: the claim that makes a reassembler set memory
 * aside, whether or not the rest ever comes.
 */
export function firstFragment(senderId: number, sequence: number, total: number, frameSize = 424): Uint8Array {
  const chunk = frameSize - FRAGMENT_HEADER_BYTES;
  const bytes = new Uint8Array(frameSize);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FRAGMENT_FRAME_BYTE);
  view.setUint32(2, senderId);
  view.setUint32(6, sequence);
  view.setUint16(10, 0);
  view.setUint16(12, Math.ceil(total / chunk));
  view.setUint32(14, total);
  return bytes;
}
