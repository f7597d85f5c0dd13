export { NamedPipeServer, type PipeServerOptions } from './server/named-pipe-server.js';
export { NamedPipeClient, SERVER_PEER_ID, type PipeClientOptions } from './client/named-pipe-client.js';
export type { ReconnectOptions } from './client/backoff.js';
export { resolvePipeAddress, defaultRuntimeDir, type ResolvedPipeAddress } from './address/resolve-address.js';
export type { PipeStats } from './link/pipe-stats.js';
