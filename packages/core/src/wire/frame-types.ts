/**
 * The first byte of every frame the bus sends: the high nibble is the wire
 * protocol version, the low nibble the frame type. A receiver reads this one
 * byte before anything else, so an unknown version is recognised (and the
 * peer told) without trying to decode the rest.
 */
export const WIRE_VERSION = 1;

/** Frame types (low nibble of byte 0). */
export const FrameType = {
  /** A whole message: byte 1 is the codec id, the rest the encoded envelope. */
  Message: 0,
  /** One fragment of a message too large for the transport's frames. */
  Fragment: 1,
} as const;
/** A frame type value. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Byte 0 of a whole-message frame. */
export const MESSAGE_FRAME_BYTE = (WIRE_VERSION << 4) | FrameType.Message;
/** Byte 0 of a fragment frame. */
export const FRAGMENT_FRAME_BYTE = (WIRE_VERSION << 4) | FrameType.Fragment;

/** Wire version carried by a frame (0 for an empty frame). */
export function frameVersion(frame: Uint8Array): number {
  return frame.length === 0 ? 0 : (frame[0]! >> 4) & 0x0f;
}

/** Frame type carried by a frame, or -1 for an empty frame. */
export function frameType(frame: Uint8Array): number {
  return frame.length === 0 ? -1 : frame[0]! & 0x0f;
}
