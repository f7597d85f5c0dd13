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
import { FRAME_TAKEN as KIT_FRAME_TAKEN } from './transport/transport.js';

export { MessageBus } from './bus/message-bus.js';
export { consoleLogger, silentLogger } from './bus/logger.js';
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
export { BusError, BusErrorCodes } from './errors/bus-error.js';
export type { BusErrorCode, BusErrorOptions } from './errors/index.js';
export { CodecId } from './codec/codec.js';
export { DEFAULT_DECODE_LIMITS, DEFAULT_MAX_DECODED_ELEMENTS, MAX_DECODED_DEPTH } from './codec/decode-limits.js';
export { jsonCodec } from './codec/json-codec.js';
export { msgpackCodec, msgpackCompatCodec } from './codec/msgpack-codec.js';
export type { Codec, DecodeLimits } from './codec/index.js';
export { systemClock } from './clock/clock.js';
export type { Clock, TimerHandle } from './clock/index.js';
export { MAX_TOPIC_LENGTH, validatePattern, validateTopic } from './topics/topic-validation.js';
export { matchTopic } from './topics/match-topic.js';
// Types that appear in the bus's signatures (request headers, stats).
export type { Headers } from './envelope/index.js';
export type { ReassemblerStats } from './fragment/index.js';
// The transport as an application holds it: to pass to MessageBus, to watch
// (state$, peers$) and to tell apart (`instanceof Transport`). Its guide for
// authors, and the rest of what they need, is the kit's.
export { Transport } from './transport/transport.js';
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
