import { BusError, type BusErrorCode } from '@pipebus/core';
import { WinError, winErrorName } from './kernel32.js';

/** A BusError for a failed kernel32 call, with the Win32 code and its name. */
export function win32Error(call: string, code: number, target: string): BusError {
  const name = winErrorName(code);
  let busCode: BusErrorCode = 'OS_ERROR';
  let advice = 'see osName for the cause';
  switch (code) {
    case WinError.ERROR_ALREADY_EXISTS:
      busCode = 'ADDRESS_IN_USE';
      advice = 'another process already reads this mailslot (one reader per name); close it or choose another name';
      break;
    case WinError.ERROR_FILE_NOT_FOUND:
      busCode = 'NOT_FOUND';
      advice = 'nobody reads this mailslot: start the reader first';
      break;
    case WinError.ERROR_PATH_NOT_FOUND:
    case WinError.ERROR_BAD_NETPATH:
      busCode = 'NOT_FOUND';
      advice = target.startsWith('\\\\.\\')
        ? 'nobody reads this mailslot: start the reader first'
        : 'the domain or machine is not reachable (Wine has no domain broadcast and fails here with ERROR_PATH_NOT_FOUND)';
      break;
    case WinError.ERROR_ACCESS_DENIED:
      busCode = 'ACCESS_DENIED';
      advice = 'the mailslot refuses this process';
      break;
    case WinError.ERROR_INVALID_NAME:
      busCode = 'INVALID_ARGUMENT';
      advice = 'the mailslot name is not valid';
      break;
  }
  return new BusError(busCode, `${call} on '${target}' failed with ${name} (${code}): ${advice}`, { osCode: code, osName: name, details: { call, target } });
}
