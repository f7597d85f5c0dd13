import { consoleLogger, type Logger } from '@pipebus/core';
import { checkKnownKeys, describeValue, invalidArgument } from '@pipebus/core/transport-kit';
import { optionalLogger as optionalSharedLogger, requireObject as requireOptionsObject } from '@pipebus/os';

// The validators (and their one message format) are @pipebus/os's, shared with
// the mailslot transport; this file holds the pipe's defaults and limits.
export { optionalBoolean, optionalDir, optionalInteger, optionalNumber } from '@pipebus/os';

/** Framed default: 16 MiB, the bus's own `maxMessageSize`. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
/** Largest frame a u32 length prefix can announce. */
export const MAX_FRAME_SIZE_LIMIT = 0xffff_ffff;
/** Default bound on bytes waiting for one peer to read (beyond the socket's own buffer). */
export const DEFAULT_MAX_PENDING_SEND_BYTES = 8 * 1024 * 1024;

/**
 * Default bound on bytes held by unfinished inbound frames across a server's
 * links: four of its largest frames (64 MiB at the default 16 MiB). Enough for
 * three large frames arriving at once with the fourth kept as the lane that
 * always lets one finish; independent of `maxClients` (256 × 16 MiB was 4 GiB).
 */
export function defaultMaxInboundBufferBytes(maxFrameSize: number): number {
  return 4 * maxFrameSize;
}

/** Every key of `PipeServerOptions`: a misspelt one fails, naming the closest (see checkKnownKeys). */
export const SERVER_OPTION_KEYS: ReadonlySet<string> = new Set([
  'address', 'raw', 'maxFrameSize', 'allow', 'allowOtherUsers', 'runtimeDir', 'maxClients', 'logger', 'maxPendingSendBytes',
  'stallTimeout', 'firstFrameTimeout', 'frameTimeout', 'maxInboundBufferBytes', 'idleTimeout', 'maxClientsPerUser', 'clock',
]);
/** Every key of `PipeClientOptions`. */
export const CLIENT_OPTION_KEYS: ReadonlySet<string> = new Set([
  'address', 'raw', 'maxFrameSize', 'runtimeDir', 'logger', 'connectTimeout', 'reconnect', 'maxPendingSendBytes', 'allow', 'handshakeTimeout', 'clock',
]);
/** Every key of `ReconnectOptions`. */
export const RECONNECT_OPTION_KEYS: ReadonlySet<string> = new Set(['initialDelayMs', 'maxDelayMs', 'factor', 'jitter', 'maxAttempts']);

/**
 * Throws INVALID_ARGUMENT unless `options` is a plain object (the shared rule, with a pipe example)
 * whose keys are all in `known` (a typo such as `connectTimout` names the key it meant).
 */
export function requireObject(what: string, options: unknown, known: ReadonlySet<string>): asserts options is Record<string, unknown> {
  requireOptionsObject(what, options, "{ address: 'pipe://orders' }");
  checkKnownKeys(what, options, known);
}

/** An optional {@link Logger}, or the console logger (a pipe's warnings are worth seeing by default). */
export function optionalLogger(what: string, value: unknown): Logger {
  return optionalSharedLogger(what, value, consoleLogger);
}
