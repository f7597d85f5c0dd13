import type { BusError, BusErrorCode } from '@pipebus/core';
import { errnoError as translateErrno, win32Error as translateWin32, type OsAdvice } from '@pipebus/os';

/**
 * What a named-pipe user should do next, per code. Only the words are this
 * transport's: the translation (codes, names, message format) is
 * `@pipebus/os`'s, shared with the mailslot transport.
 */
export const PIPE_ADVICE: OsAdvice = {
  NOT_FOUND: 'is the server running? Start it first, or connect with { connectTimeout } to wait for it',
  ACCESS_DENIED: 'the pipe or socket belongs to another user; run both sides as the same user, or widen it with the { allow } option of the server (or client)',
  ADDRESS_IN_USE: 'another live server already listens there; stop it or pick another address',
  BUSY: 'every pipe instance is taken; retry, or connect with a larger { connectTimeout }',
};

/** A failed `node:net`/`node:fs` call as a BusError with this transport's advice. `what` says what was being done. */
export function errnoError(what: string, error: unknown): BusError {
  return translateErrno(what, error, { advice: PIPE_ADVICE });
}

/** A Win32 `GetLastError()` value as a BusError with this transport's advice; `override` forces the code. */
export function win32Error(what: string, lastError: number, override?: BusErrorCode): BusError {
  return translateWin32(what, lastError, { advice: PIPE_ADVICE, ...(override !== undefined && { code: override }) });
}
