/**
 * `@pipebus/core/transport-kit`: what a transport author needs. Applications
 * import from `@pipebus/core`; `BusError`, `Logger` and `Clock` live there.
 *
 * A transport extends {@link Transport} and keeps the rules stated on it and
 * in the README's "Writing a transport". The wire, envelope and fragment
 * exports are for transports that look into frames (a raw-mode bridge, a
 * fragment-aware datagram transport), for benchmarks and for tests; the bus
 * does that work for every other transport.
 */

// The contract: base class, fast-path marker, the types a transport speaks.
export { FRAME_TAKEN, Transport } from '../transport/transport.js';
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
} from '../transport/index.js';

// Validators: option and argument checks that fail the way core's do.
export { describeValue } from '../transport/transport.js';
export { checkKnownKeys, closestKey } from '../errors/known-keys.js';
export { invalidArgument } from '../errors/bus-error.js';

// Wire: the first byte of every frame (version and frame type).
export { FRAGMENT_FRAME_BYTE, FrameType, MESSAGE_FRAME_BYTE, WIRE_VERSION, frameType, frameVersion } from '../wire/frame-types.js';

// Fragments: the header layout and the two halves of fragmentation.
export { FRAGMENT_HEADER_SIZE, MAX_FRAGMENT_COUNT } from '../fragment/fragment-header.js';
export { Fragmenter } from '../fragment/fragmenter.js';
export { FrameReassembler } from '../fragment/frame-reassembler.js';
export type { FragmentDropReason, FragmenterOptions, FrameReassemblerOptions, ReassemblerStats } from '../fragment/index.js';

// Envelopes: a message frame's content, as the bus encodes it.
export { Kind, MAX_NAME_LENGTH, decodeMessageFrame, encodeMessageFrame, isHeaders, kindName, toErrorPayload } from '../envelope/envelope.js';
export type { DecodingCodecs, Envelope, ErrorPayload, Headers } from '../envelope/index.js';
// The interest announcement (a Hello envelope) a client sends its server: for tools that speak the wire.
export { INTEREST_HELLO, INTEREST_VERSION } from '../envelope/interest.js';
export type { InterestOp, InterestPayload } from '../envelope/interest.js';
