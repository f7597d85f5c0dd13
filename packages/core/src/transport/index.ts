export { FRAME_TAKEN, Transport, describeValue } from './transport.js';
export type {
  FrameListener,
  InboundFrame,
  Interest,
  PeerEvent,
  PeerId,
  PeerInfo,
  Route,
  TransportCapabilities,
  TransportEvents,
  TransportState,
} from './transport.js';
