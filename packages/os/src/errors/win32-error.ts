import { BusError, type BusErrorCode } from '@pipebus/core';
import { osMessage, type OsErrorOptions } from './os-advice.js';

/**
 * Win32 error codes the OS transports meet (GetLastError values), with their
 * names and what they mean to a caller: the union of both transports' tables.
 * Some are never errors where they occur (`ERROR_PIPE_CONNECTED` is success
 * after ConnectNamedPipe; the caller checks that before translating).
 */
export const WIN32_ERRORS: Readonly<Record<number, { readonly name: string; readonly code: BusErrorCode }>> = {
  2: { name: 'ERROR_FILE_NOT_FOUND', code: 'NOT_FOUND' },
  3: { name: 'ERROR_PATH_NOT_FOUND', code: 'NOT_FOUND' },
  5: { name: 'ERROR_ACCESS_DENIED', code: 'ACCESS_DENIED' },
  6: { name: 'ERROR_INVALID_HANDLE', code: 'OS_ERROR' },
  38: { name: 'ERROR_HANDLE_EOF', code: 'OS_ERROR' },
  53: { name: 'ERROR_BAD_NETPATH', code: 'NOT_FOUND' },
  87: { name: 'ERROR_INVALID_PARAMETER', code: 'OS_ERROR' },
  109: { name: 'ERROR_BROKEN_PIPE', code: 'TRANSPORT_CLOSED' },
  121: { name: 'ERROR_SEM_TIMEOUT', code: 'BUSY' },
  122: { name: 'ERROR_INSUFFICIENT_BUFFER', code: 'OS_ERROR' },
  123: { name: 'ERROR_INVALID_NAME', code: 'INVALID_ARGUMENT' },
  183: { name: 'ERROR_ALREADY_EXISTS', code: 'ADDRESS_IN_USE' },
  231: { name: 'ERROR_PIPE_BUSY', code: 'BUSY' },
  232: { name: 'ERROR_NO_DATA', code: 'TRANSPORT_CLOSED' },
  233: { name: 'ERROR_PIPE_NOT_CONNECTED', code: 'TRANSPORT_CLOSED' },
  535: { name: 'ERROR_PIPE_CONNECTED', code: 'OS_ERROR' },
  995: { name: 'ERROR_OPERATION_ABORTED', code: 'TRANSPORT_CLOSED' },
  997: { name: 'ERROR_IO_PENDING', code: 'OS_ERROR' },
};

/** `ERROR_ALREADY_EXISTS` for 183; `WIN32_ERROR_<n>` for a code not in {@link WIN32_ERRORS}. */
export function win32ErrorName(lastError: number): string {
  return WIN32_ERRORS[lastError]?.name ?? `WIN32_ERROR_${lastError}`;
}

/**
 * Turns a Win32 `GetLastError()` value into a {@link BusError} with its code
 * and name, in the one message format ({@link osMessage}).
 *
 * @example
 * ```ts
 * if (handle === INVALID_HANDLE_VALUE) throw win32Error(`open '${path}'`, GetLastError(), { advice: MY_ADVICE });
 * ```
 */
export function win32Error(what: string, lastError: number, options: OsErrorOptions = {}): BusError {
  const osName = win32ErrorName(lastError);
  const code = options.code ?? WIN32_ERRORS[lastError]?.code ?? 'OS_ERROR';
  return new BusError(code, osMessage(what, osName, lastError, code, options.advice), {
    osCode: lastError,
    osName,
    ...(options.cause !== undefined && { cause: options.cause }),
    ...(options.details !== undefined && { details: options.details }),
  });
}
