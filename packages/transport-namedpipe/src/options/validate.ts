import { consoleLogger, type Logger } from '@pipebus/core';
import { describeValue, invalidArgument } from '@pipebus/core/transport-kit';

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

/** Throws INVALID_ARGUMENT unless `options` is a plain object. */
export function requireObject(what: string, options: unknown): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`${what} takes an options object such as { address: 'pipe://orders' }, got ${describeValue(options)}`);
  }
}

/** An optional boolean option, or its default. */
export function optionalBoolean(what: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(`${what}: '${name}' must be true or false, got ${describeValue(value)}`);
  return value;
}

/** An optional integer option within [min, max], or its default. */
export function optionalInteger(what: string, name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${what}: '${name}' must be a whole number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** An optional finite number within [min, max] (Infinity allowed when max is), or its default. */
export function optionalNumber(what: string, name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw invalidArgument(`${what}: '${name}' must be a number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** An optional absolute directory path. */
export function optionalDir(what: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.startsWith('/')) throw invalidArgument(`${what}: '${name}' must be an absolute directory path, got ${describeValue(value)}`);
  return value;
}

/** An optional {@link Logger}, or the console logger. */
export function optionalLogger(what: string, value: unknown): Logger {
  if (value === undefined) return consoleLogger;
  const logger = value as Partial<Logger>;
  if (value === null || typeof value !== 'object' || ['debug', 'info', 'warn', 'error'].some((m) => typeof logger[m as keyof Logger] !== 'function')) {
    throw invalidArgument(`${what}: 'logger' must have debug, info, warn and error methods (see Logger in @pipebus/core), got ${describeValue(value)}`);
  }
  return value as Logger;
}
