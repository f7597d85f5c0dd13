import { BusError, type BusErrorCode } from '@pipebus/core';
import { E, errnoName, type Libc } from './libc.js';

/**
 * A BusError for a failed libc call: the code says what the caller can do,
 * osCode/osName keep the errno for diagnosis.
 */
export function posixError(call: string, errno: number, target: string, hint?: string): BusError {
  const name = errnoName(errno);
  let code: BusErrorCode = 'OS_ERROR';
  let advice = hint ?? 'see osName for the cause';
  if (errno === E.ENOENT || errno === E.ECONNREFUSED) {
    code = 'NOT_FOUND';
    advice = hint ?? 'nobody reads this slot: start the reader first';
  } else if (errno === E.EADDRINUSE) {
    code = 'ADDRESS_IN_USE';
    advice = hint ?? 'another process already reads this slot (one reader per name)';
  } else if (errno === E.EACCES) {
    code = 'ACCESS_DENIED';
    advice = hint ?? 'check the permissions of the runtime directory';
  } else if (errno === E.EMSGSIZE) {
    code = 'FRAME_TOO_LARGE';
    advice = hint ?? 'lower frameSize';
  }
  return new BusError(code, `${call} on '${target}' failed with ${name}: ${advice}`, { osCode: errno, osName: name, details: { call, target } });
}

/** A new AF_UNIX datagram socket; throws the BusError for a failed socket() naming `target`. */
export function datagramSocket(lib: Libc, target: string): number {
  const fd = lib.socket(lib.c.AF_UNIX, lib.c.SOCK_DGRAM, 0);
  if (fd < 0) throw posixError('socket', lib.errno(), target);
  return fd;
}
