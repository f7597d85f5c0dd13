/**
 * `@pipebus/transport-nats`: a pipebus transport over core NATS, so that one
 * bus spans machines: requests find their handlers by method subject (in
 * queue groups when asked), events their subscribers by topic.
 */
export { NatsTransport, type NatsTransportStats } from './transport/nats-transport.js';
export { DEFAULT_MAX_FRAME_SIZE, checkNatsPrefix, resolveNatsAddress, type NatsAddress, type NatsTransportOptions } from './options/validate.js';
export { probeNatsServer, type NatsProbe, type NatsServerInfo } from './advice/server-info.js';
