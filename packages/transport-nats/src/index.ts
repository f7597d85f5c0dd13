/**
 * `@pipebus/transport-nats` (issue 17, in progress): a pipebus transport over
 * core NATS. Private until it is complete; see the package's design note.
 */
export { NatsTransport, type NatsTransportStats } from './transport/nats-transport.js';
export { DEFAULT_MAX_FRAME_SIZE, checkNatsPrefix, resolveNatsAddress, type NatsAddress, type NatsTransportOptions } from './options/validate.js';
