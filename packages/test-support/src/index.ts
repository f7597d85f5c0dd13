// Helpers shared by the repository's own tests, in every package (core's too:
// this package depends on nothing, so no workspace cycle can form through it).
// Never published: an application's tests use @pipebus/core/testkit instead.
export { patternBytes, mulberry32 } from './deterministic.js';
export { thrown } from './thrown.js';
export { firstFragment } from './wire.js';
export { RUN_TS, forkTs, nextMessage } from './children.js';
export { findNatsServer, startNatsServer } from './nats-server.js';
export type { NatsServerHandle, NatsServerOptions } from './nats-types.js';
export { NATS_CONTROL_ENV, remoteNatsServer, serveNatsControl } from './nats-control.js';
