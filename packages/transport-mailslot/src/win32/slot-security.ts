// koffi has one index.d.ts for its import and require entries, in a "type": "module"
// package, so the CommonJS build takes it for ESM (TS1479) although require('koffi')
// loads its index.cjs. The ESM build has no error here, so not @ts-expect-error.
// @ts-ignore TS1479 in the CommonJS build only
import koffi from 'koffi';
import { BusError } from '@pipebus/core';
import { win32Error } from '../advice/os-advice.js';

/**
 * The DACL every mailslot this process creates gets: full access for the
 * current user only, or — with `allowOtherUsers` — also read/write for any
 * authenticated user. Protected (`P`), so nothing is inherited. Without it
 * CreateMailslotW applies the token's default DACL, which on many systems
 * lets administrators and services write, and which pipebus does not choose.
 * The same descriptor as the named-pipe transport's pipes.
 */
export interface SlotSecurity {
  /** The SECURITY_ATTRIBUTES to pass to CreateMailslotW (its memory lives as long as this object). */
  readonly attributes: Buffer;
  readonly sddl: string;
}

const TOKEN_QUERY = 0x0008;
const TOKEN_USER_CLASS = 1;
const SDDL_REVISION_1 = 1;
/** sizeof(SECURITY_ATTRIBUTES) on x64: nLength (4, padded to 8), lpSecurityDescriptor (8), bInheritHandle (4, padded). */
const SECURITY_ATTRIBUTES_SIZE = 24;

interface Advapi {
  GetCurrentProcess(): number;
  OpenProcessToken(process: number, access: number, token: Buffer): boolean;
  GetTokenInformation(token: number, infoClass: number, info: Buffer, length: number, returned: Buffer): boolean;
  ConvertSidToStringSidW(sid: unknown, out: unknown[]): boolean;
  ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl: string, revision: number, out: unknown[], size: null): boolean;
  CloseHandle(handle: number): boolean;
  LocalFree(memory: unknown): unknown;
  GetLastError(): number;
}

let api: Advapi | undefined;
function advapi(): Advapi {
  if (api !== undefined) return api;
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const pointerOut = koffi.out(koffi.pointer('void *'));
  api = {
    GetCurrentProcess: kernel32.func('intptr_t __stdcall GetCurrentProcess()'),
    OpenProcessToken: advapi32.func('bool __stdcall OpenProcessToken(intptr_t process, uint32_t access, void *token)'),
    GetTokenInformation: advapi32.func('bool __stdcall GetTokenInformation(intptr_t token, uint32_t cls, void *info, uint32_t length, void *returned)'),
    ConvertSidToStringSidW: advapi32.func('__stdcall', 'ConvertSidToStringSidW', 'bool', ['void *', pointerOut]),
    ConvertStringSecurityDescriptorToSecurityDescriptorW: advapi32.func('__stdcall', 'ConvertStringSecurityDescriptorToSecurityDescriptorW', 'bool', ['str16', 'uint32_t', pointerOut, 'void *']),
    CloseHandle: kernel32.func('bool __stdcall CloseHandle(intptr_t h)'),
    LocalFree: kernel32.func('void * __stdcall LocalFree(void *memory)'),
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
  };
  return api;
}

const cache = new Map<boolean, SlotSecurity>();

/**
 * The security attributes for new slots, built once per process and kind
 * (the descriptor is never freed: at most two small ones live per process).
 * @throws BusError `OS_ERROR` when the current user or the descriptor cannot be read or built.
 */
export function slotSecurity(allowOtherUsers: boolean): SlotSecurity {
  const cached = cache.get(allowOtherUsers);
  if (cached !== undefined) return cached;
  const a = advapi();
  const user = currentUserSid(a);
  const sddl = `D:P(A;;GA;;;${user})${allowOtherUsers ? '(A;;GRGW;;;AU)' : ''}`;
  const out: unknown[] = [null];
  if (!a.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, out, null)) {
    throw win32Error(`ConvertStringSecurityDescriptorToSecurityDescriptorW('${sddl}')`, a.GetLastError(), 'the mailslot security descriptor');
  }
  const attributes = Buffer.alloc(SECURITY_ATTRIBUTES_SIZE);
  attributes.writeUInt32LE(SECURITY_ATTRIBUTES_SIZE, 0);
  attributes.writeBigUInt64LE(koffi.address(out[0]), 8);
  const security = { attributes, sddl };
  cache.set(allowOtherUsers, security);
  return security;
}

/** The string SID (`S-1-5-21-...`) of the user this process runs as. */
function currentUserSid(a: Advapi): string {
  const token = Buffer.alloc(8);
  if (!a.OpenProcessToken(a.GetCurrentProcess(), TOKEN_QUERY, token)) {
    throw win32Error('OpenProcessToken', a.GetLastError(), 'this process (to read the current user)');
  }
  const handle = Number(token.readBigInt64LE(0));
  try {
    const info = Buffer.alloc(256); // TOKEN_USER: a SID pointer, then the SID itself; 256 bytes covers any SID.
    if (!a.GetTokenInformation(handle, TOKEN_USER_CLASS, info, info.byteLength, Buffer.alloc(4))) {
      throw win32Error('GetTokenInformation', a.GetLastError(), 'this process token');
    }
    const text: unknown[] = [null];
    if (!a.ConvertSidToStringSidW(koffi.decode(info, 'void *'), text)) {
      throw win32Error('ConvertSidToStringSidW', a.GetLastError(), 'the current user');
    }
    const sid = koffi.decode(text[0], 'char16_t', -1) as string;
    a.LocalFree(text[0]);
    if (!/^S-1-[0-9-]+$/.test(sid)) throw new BusError('INTERNAL', `unexpected user SID '${sid}'`);
    return sid;
  } finally {
    a.CloseHandle(handle);
  }
}
