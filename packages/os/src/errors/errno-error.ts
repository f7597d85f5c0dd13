import { constants } from 'node:os';
import { BusError, type BusErrorCode } from '@pipebus/core';
import { osMessage, type OsErrorOptions } from './os-advice.js';

/**
 * errno names and what they mean to a caller: the union of what the named-pipe
 * transport (through `node:net`/`node:fs`) and the mailslot transport (libc
 * through koffi) meet. Anything else is `OS_ERROR` with its name kept.
 */
export const ERRNO_CODES: Readonly<Record<string, BusErrorCode>> = {
  ENOENT: 'NOT_FOUND',
  ECONNREFUSED: 'NOT_FOUND',
  ENOTDIR: 'NOT_FOUND',
  EACCES: 'ACCESS_DENIED',
  EPERM: 'ACCESS_DENIED',
  EADDRINUSE: 'ADDRESS_IN_USE',
  EBUSY: 'BUSY',
  EAGAIN: 'BUSY',
  EPIPE: 'TRANSPORT_CLOSED',
  ECONNRESET: 'TRANSPORT_CLOSED',
  ENAMETOOLONG: 'INVALID_ARGUMENT',
  EMSGSIZE: 'FRAME_TOO_LARGE',
};

// Node's table holds this platform's numbers, the same ones libc sets, so no
// native library is needed to name an errno.
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno as Record<string, number>).map(([name, value]) => [value, name]));

/** The name of an errno value on this platform (`EAGAIN` for 11 on Linux), or `errno <n>` when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/**
 * The value of an errno name on this platform, or `fallback` where Node does
 * not list it; for code that branches on a libc return (`errno === errnoValue('EINTR', 4)`).
 */
export function errnoValue(name: string, fallback: number): number {
  return (constants.errno as Record<string, number | undefined>)[name] ?? fallback;
}

/**
 * Turns a failed Node call (an `ErrnoException` from `node:fs`/`node:net`)
 * into a {@link BusError} that keeps the OS code and name. `what` says what
 * was being done ("connect to '/run/x.sock'"). A BusError passes through.
 *
 * @example
 * ```ts
 * try { await fs.mkdir(dir) } catch (e) { throw errnoError(`create '${dir}'`, e, { advice: MY_ADVICE }) }
 * ```
 */
export function errnoError(what: string, error: unknown, options: OsErrorOptions = {}): BusError {
  if (error instanceof BusError) return error;
  const e = error as NodeJS.ErrnoException | undefined;
  const osName = typeof e?.code === 'string' ? e.code : undefined;
  const osCode = typeof e?.errno === 'number' ? Math.abs(e.errno) : undefined;
  const code: BusErrorCode = options.code ?? ((osName !== undefined && ERRNO_CODES[osName]) || 'OS_ERROR');
  return new BusError(code, osMessage(what, osName ?? String(error), osName === undefined ? undefined : osCode, code, options.advice), {
    cause: options.cause ?? error,
    ...(osName !== undefined && { osName }),
    ...(osCode !== undefined && { osCode }),
    ...(options.details !== undefined && { details: options.details }),
  });
}

/** Turns an errno number a native call left (libc through koffi) into a {@link BusError}; see {@link errnoError}. */
export function errnoNumberError(what: string, errno: number, options: OsErrorOptions = {}): BusError {
  const osName = errnoName(errno);
  const code: BusErrorCode = options.code ?? ERRNO_CODES[osName] ?? 'OS_ERROR';
  return new BusError(code, osMessage(what, osName, errno, code, options.advice), {
    osCode: errno,
    osName,
    ...(options.cause !== undefined && { cause: options.cause }),
    ...(options.details !== undefined && { details: options.details }),
  });
}
