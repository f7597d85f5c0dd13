import { BusError } from '@pipebus/core';
import { win32Error } from '../errors/os-error.js';
import {
  SDDL_REVISION_1, TOKEN_QUERY, TOKEN_USER_CLASS, decodePointer, decodeWideString, isInvalidHandle, securityAttributes, win32, type Handle,
} from './win32-api.js';

/** A security descriptor for pipe instances, freed with {@link PipeSecurity.free}. */
export interface PipeSecurity {
  /** The SECURITY_ATTRIBUTES to pass to CreateNamedPipeW. */
  readonly attributes: ReturnType<typeof securityAttributes>;
  /** The SDDL it was made from, for logs. */
  readonly sddl: string;
  free(): void;
}

/**
 * The DACL of every instance: full access for the current user only, or —
 * with `allowOtherUsers` — read/write for any authenticated user too. Protected
 * (`P`), so nothing is inherited. Remote clients are refused separately by
 * PIPE_REJECT_REMOTE_CLIENTS.
 */
export function pipeSecurity(allowOtherUsers: boolean): PipeSecurity {
  const user = currentUserSid();
  const sddl = `D:P(A;;GA;;;${user})${allowOtherUsers ? '(A;;GRGW;;;AU)' : ''}`;
  const out: unknown[] = [null];
  if (!win32.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, out, null)) {
    throw win32Error(`build the pipe security descriptor '${sddl}'`, win32.GetLastError(), 'OS_ERROR');
  }
  const descriptor = out[0];
  return { attributes: securityAttributes(descriptor), sddl, free: () => void win32.LocalFree(descriptor) };
}

/** The string SID (`S-1-5-21-...`) of the user this process runs as. */
function currentUserSid(): string {
  const token: Handle[] = [null];
  if (!win32.OpenProcessToken(win32.GetCurrentProcess(), TOKEN_QUERY, token) || isInvalidHandle(token[0])) {
    throw win32Error('open this process token (to read the current user)', win32.GetLastError(), 'OS_ERROR');
  }
  try {
    const info = Buffer.alloc(256); // TOKEN_USER: a SID pointer, then the SID itself; 256 bytes covers any SID.
    const length = [0];
    if (!win32.GetTokenInformation(token[0], TOKEN_USER_CLASS, info, info.byteLength, length)) {
      throw win32Error('read the current user from the process token', win32.GetLastError(), 'OS_ERROR');
    }
    const text: unknown[] = [null];
    if (!win32.ConvertSidToStringSidW(decodePointer(info), text)) {
      throw win32Error('format the current user SID', win32.GetLastError(), 'OS_ERROR');
    }
    const sid = decodeWideString(text[0]);
    win32.LocalFree(text[0]);
    if (!/^S-1-[0-9-]+$/.test(sid)) throw new BusError('INTERNAL', `unexpected user SID '${sid}'`);
    return sid;
  } finally {
    win32.CloseHandle(token[0]);
  }
}
