import { BusError } from '@pipebus/core';
import type { AccessPolicy } from '../access/peer-access.js';
import { win32Error } from '../advice/os-advice.js';
import {
  PROCESS_QUERY_LIMITED_INFORMATION, SDDL_REVISION_1, TOKEN_QUERY, TOKEN_USER_CLASS, decodePointer, decodeWideString, isInvalidHandle, securityAttributes, win32, type Handle,
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
 * The DACL of every instance: full access for the current user only, plus
 * read/write for any authenticated user (`allow: 'any-user'`) or for each
 * SID listed in `allow.sids`. Protected (`P`), so nothing is inherited.
 * Remote clients are refused separately by PIPE_REJECT_REMOTE_CLIENTS.
 */
export function pipeSecurity(access: AccessPolicy): PipeSecurity {
  const user = currentUserSid();
  const others = access.anyUser ? ['AU'] : [...access.sids];
  const sddl = `D:P(A;;GA;;;${user})${others.map((sid) => `(A;;GRGW;;;${sid})`).join('')}`;
  const out: unknown[] = [null];
  if (!win32.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, out, null)) {
    throw win32Error(`build the pipe security descriptor '${sddl}'`, win32.GetLastError(), 'OS_ERROR');
  }
  const descriptor = out[0];
  return { attributes: securityAttributes(descriptor), sddl, free: () => void win32.LocalFree(descriptor) };
}

let self: string | undefined;

/** The string SID (`S-1-5-21-...`) of the user this process runs as (read once). */
export function currentUserSid(): string {
  self ??= tokenUserSid(win32.GetCurrentProcess(), 'this process');
  return self;
}

/**
 * The user SID of process `pid` (a pipe's server, from GetNamedPipeServerProcessId),
 * or undefined when Windows will not open it — a process of another user
 * normally, which the caller then refuses unless told to allow any user.
 *
 * The token's user, not the owner of the pipe object: an elevated process
 * owns what it creates as BUILTIN\Administrators, while its token's user is
 * still the person. (Wine 8 also answers GetSecurityInfo on a pipe with an
 * invalid owner SID; this path works there, verified.)
 */
export function processUserSid(pid: number): string | undefined {
  const handle = win32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  if (isInvalidHandle(handle)) return undefined;
  try {
    return tokenUserSid(handle, `process ${pid}`);
  } catch {
    return undefined;
  } finally {
    win32.CloseHandle(handle);
  }
}

/** The string SID of the user in `process`'s token. */
function tokenUserSid(handle: Handle, whose: string): string {
  const token: Handle[] = [null];
  if (!win32.OpenProcessToken(handle, TOKEN_QUERY, token) || isInvalidHandle(token[0])) {
    throw win32Error(`open the token of ${whose} (to read its user)`, win32.GetLastError(), 'OS_ERROR');
  }
  try {
    const info = Buffer.alloc(256); // TOKEN_USER: a SID pointer, then the SID itself; 256 bytes covers any SID.
    const length = [0];
    if (!win32.GetTokenInformation(token[0], TOKEN_USER_CLASS, info, info.byteLength, length)) {
      throw win32Error(`read the user of ${whose} from its token`, win32.GetLastError(), 'OS_ERROR');
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
