import type { BusError } from '@pipebus/core';
import { errnoNumberError, win32Error as translateWin32, type OsAdvice } from '@pipebus/os';

/**
 * What a mailslot user should do next when libc refuses, per code. Only the
 * words are this transport's: the translation (codes, names, message format)
 * is `@pipebus/os`'s, shared with the named-pipe transport.
 */
export const POSIX_SLOT_ADVICE: OsAdvice = {
  NOT_FOUND: 'nobody reads this slot: start the reader first',
  ADDRESS_IN_USE: 'another process already reads this slot (one reader per name)',
  ACCESS_DENIED: 'check the permissions of the runtime directory',
  FRAME_TOO_LARGE: 'lower frameSize',
  OS_ERROR: 'see osName for the cause',
};

/** The same for kernel32's refusals. */
export const WIN32_SLOT_ADVICE: OsAdvice = {
  ADDRESS_IN_USE: 'another process already reads this mailslot (one reader per name); close it or choose another name',
  NOT_FOUND: 'nobody reads this mailslot: start the reader first',
  ACCESS_DENIED: 'the mailslot refuses this process',
  INVALID_ARGUMENT: 'the mailslot name is not valid',
  OS_ERROR: 'see osName for the cause',
};

const DOMAIN_UNREACHABLE = 'the domain or machine is not reachable (Wine has no domain broadcast and fails here with ERROR_PATH_NOT_FOUND)';
const ERROR_PATH_NOT_FOUND = 3;
const ERROR_BAD_NETPATH = 53;

/**
 * A BusError for a failed libc call on `target`; `hint` replaces the advice
 * when the caller knows more than the errno says.
 */
export function posixError(call: string, errno: number, target: string, hint?: string): BusError {
  return errnoNumberError(`${call} on '${target}'`, errno, { advice: hint ?? POSIX_SLOT_ADVICE, details: { call, target } });
}

/** A BusError for a failed kernel32 call on `target`, with the Win32 code and its name. */
export function win32Error(call: string, code: number, target: string): BusError {
  // A path that is not local (\\domain\...) is not found because the network is not there, not the reader.
  const remote = (code === ERROR_PATH_NOT_FOUND || code === ERROR_BAD_NETPATH) && !target.startsWith('\\\\.\\');
  return translateWin32(`${call} on '${target}'`, code, { advice: remote ? DOMAIN_UNREACHABLE : WIN32_SLOT_ADVICE, details: { call, target } });
}
