export { FRAME_TAKEN, Transport, describeValue } from './transport.js';
export type { Interest, Route } from './routed.js';
export type {
  FrameListener,
  InboundFrame,
  PeerEvent,
  PeerId,
  PeerInfo,
  TransportCapabilities,
  TransportEvents,
  TransportState,
} from './types.js';
