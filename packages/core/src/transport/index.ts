export { FRAME_TAKEN, Transport, describeValue } from './transport.js';
export type {
  InboundFrame,
  PeerEvent,
  PeerId,
  PeerInfo,
  TransportCapabilities,
  TransportEvents,
  TransportState,
} from './transport.js';
