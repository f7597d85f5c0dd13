import { BusError, type BusErrorCode } from '@pipebus/core';

/** Win32 error codes this transport meets, by number (GetLastError values). */
export const WIN32_ERRORS: Readonly<Record<number, { name: string; code: BusErrorCode }>> = {
  2: { name: 'ERROR_FILE_NOT_FOUND', code: 'NOT_FOUND' },
  3: { name: 'ERROR_PATH_NOT_FOUND', code: 'NOT_FOUND' },
  5: { name: 'ERROR_ACCESS_DENIED', code: 'ACCESS_DENIED' },
  6: { name: 'ERROR_INVALID_HANDLE', code: 'OS_ERROR' },
  109: { name: 'ERROR_BROKEN_PIPE', code: 'TRANSPORT_CLOSED' },
  121: { name: 'ERROR_SEM_TIMEOUT', code: 'BUSY' },
  123: { name: 'ERROR_INVALID_NAME', code: 'INVALID_ARGUMENT' },
  231: { name: 'ERROR_PIPE_BUSY', code: 'BUSY' },
  232: { name: 'ERROR_NO_DATA', code: 'TRANSPORT_CLOSED' },
  233: { name: 'ERROR_PIPE_NOT_CONNECTED', code: 'TRANSPORT_CLOSED' },
  535: { name: 'ERROR_PIPE_CONNECTED', code: 'OS_ERROR' },
  995: { name: 'ERROR_OPERATION_ABORTED', code: 'TRANSPORT_CLOSED' },
  997: { name: 'ERROR_IO_PENDING', code: 'OS_ERROR' },
};

/** errno names (as Node reports them in `error.code`) and what they mean to a caller. */
const ERRNO_CODES: Readonly<Record<string, BusErrorCode>> = {
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
};

/** What to do next, per code, appended to messages so a user can act on them. */
const ADVICE: Partial<Record<BusErrorCode, string>> = {
  NOT_FOUND: 'is the server running? Start it first, or connect with { connectTimeout } to wait for it',
  ACCESS_DENIED: 'the pipe or socket belongs to another user; run both sides as the same user, or widen it with the { allow } option of the server (or client)',
  ADDRESS_IN_USE: 'another live server already listens there; stop it or pick another address',
  BUSY: 'every pipe instance is taken; retry, or connect with a larger { connectTimeout }',
};

/**
 * Turns a failed OS call into a {@link BusError} that keeps the OS code and
 * name. `what` says what was being done ("connect to '/run/x.sock'").
 */
export function errnoError(what: string, error: unknown): BusError {
  if (error instanceof BusError) return error;
  const e = error as NodeJS.ErrnoException;
  const osName = typeof e?.code === 'string' ? e.code : undefined;
  const code: BusErrorCode = (osName !== undefined && ERRNO_CODES[osName]) || 'OS_ERROR';
  const advice = ADVICE[code];
  return new BusError(code, `cannot ${what}: ${osName ?? String(error)}${advice ? `; ${advice}` : ''}`, {
    cause: error,
    ...(osName !== undefined && { osName }),
    ...(typeof e?.errno === 'number' && { osCode: Math.abs(e.errno) }),
  });
}

/** Turns a Win32 `GetLastError()` value into a {@link BusError} with its name. */
export function win32Error(what: string, lastError: number, override?: BusErrorCode): BusError {
  const known = WIN32_ERRORS[lastError];
  const code = override ?? known?.code ?? 'OS_ERROR';
  const osName = known?.name ?? `WIN32_ERROR_${lastError}`;
  const advice = ADVICE[code];
  return new BusError(code, `cannot ${what}: ${osName} (${lastError})${advice ? `; ${advice}` : ''}`, { osCode: lastError, osName });
}
