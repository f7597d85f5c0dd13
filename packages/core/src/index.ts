/**
 * `@pipebus/core`: what an application uses — the {@link MessageBus}, its
 * options and errors, codecs, the clock, and topic helpers.
 *
 * The package has three more entries, each for one audience:
 * - `@pipebus/core/transport-kit`: what a transport author needs (the
 *   `Transport` base class, `FRAME_TAKEN`, validators, wire and fragment
 *   constants, the envelope codec).
 * - `@pipebus/core/testkit`: the contract suite every transport runs (jest,
 *   vitest or node:test).
 * - `@pipebus/core/di`: typedi wiring.
 *
 * Each name is listed here on purpose: an internal added to a folder does not
 * become public API by accident.
 */
import { FRAME_TAKEN as KIT_FRAME_TAKEN } from './transport/index.js';

export { MessageBus, consoleLogger, silentLogger } from './bus/index.js';
export type {
  BusEvent,
  BusStats,
  Handler,
  HandlerContext,
  Logger,
  MessageBusOptions,
  MessageContext,
  MessageKindName,
  Middleware,
  MiddlewareSet,
  HandleOptions,
  PublishOptions,
  ReassemblyOptions,
  RequestOptions,
  SubscribeOptions,
} from './bus/index.js';
export { BusError, BusErrorCodes } from './errors/index.js';
export type { BusErrorCode, BusErrorOptions } from './errors/index.js';
export { CodecId, DEFAULT_DECODE_LIMITS, DEFAULT_MAX_DECODED_ELEMENTS, MAX_DECODED_DEPTH, jsonCodec, msgpackCodec, msgpackCompatCodec } from './codec/index.js';
export type { Codec, DecodeLimits } from './codec/index.js';
export { systemClock } from './clock/index.js';
export type { Clock, TimerHandle } from './clock/index.js';
export { MAX_TOPIC_LENGTH, matchTopic, validatePattern, validateTopic } from './topics/index.js';
// Types that appear in the bus's signatures (request headers, stats).
export type { Headers } from './envelope/index.js';
export type { ReassemblerStats } from './fragment/index.js';
// The transport as an application holds it: to pass to MessageBus, to watch
// (state$, peers$) and to tell apart (`instanceof Transport`). Its guide for
// authors, and the rest of what they need, is the kit's.
export { Transport } from './transport/index.js';
export type {
  InboundFrame,
  PeerEvent,
  PeerId,
  PeerInfo,
  TransportCapabilities,
  TransportEvents,
  TransportState,
} from './transport/index.js';

/**
 * @deprecated Import it from `@pipebus/core/transport-kit`. Kept here so
 * transports written before the kit existed still build; it goes in the next
 * major version.
 */
export const FRAME_TAKEN: Promise<void> = KIT_FRAME_TAKEN;
