export { FRAGMENT_FRAME_BYTE, FrameType, MESSAGE_FRAME_BYTE, WIRE_VERSION, frameType, frameVersion } from './frame-types.js';
