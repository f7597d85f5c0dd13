// koffi has one index.d.ts for its import and require entries, in a "type": "module"
// package, so the CommonJS build takes it for ESM (TS1479) although require('koffi')
// loads its index.cjs. The ESM build has no error here, so not @ts-expect-error.
// @ts-ignore TS1479 in the CommonJS build only
import koffi from 'koffi';

/**
 * kernel32 through koffi: every Win32 declaration the mailslot backend uses.
 * Handles are declared `intptr_t` so INVALID_HANDLE_VALUE compares as -1;
 * out-parameters are `void *` and take 4-byte Buffers, which koffi passes by
 * address (also for `.async` calls, whose Buffers we keep alive until done).
 */
export interface Kernel32 {
  /** `security`: a SECURITY_ATTRIBUTES laid out in a Buffer (see slot-security.ts), or null for the token's default DACL. */
  CreateMailslotW(name: string, maxMessageSize: number, readTimeoutMs: number, security: Buffer | null): number;
  CreateFileW(name: string, access: number, share: number, security: null, disposition: number, flags: number, template: number): number;
  WriteFile: ((handle: number, buf: Uint8Array, size: number, written: Buffer, overlapped: null) => boolean) & {
    async(handle: number, buf: Uint8Array, size: number, written: Buffer, overlapped: null, cb: (err: unknown, ok: boolean) => void): void;
  };
  ReadFile: ((handle: number, buf: Buffer, size: number, read: Buffer, overlapped: null) => boolean) & {
    async(handle: number, buf: Buffer, size: number, read: Buffer, overlapped: null, cb: (err: unknown, ok: boolean) => void): void;
  };
  GetMailslotInfo(handle: number, maxMessageSize: Buffer | null, nextSize: Buffer, count: Buffer | null, readTimeout: Buffer | null): boolean;
  SetMailslotInfo(handle: number, readTimeoutMs: number): boolean;
  CloseHandle(handle: number): boolean;
  /**
   * The calling thread's last error. koffi keeps the value of its previous call
   * (and, inside a `.async` callback, of that async call) for exactly this, so
   * call it right after the failing function, before any other koffi call.
   */
  GetLastError(): number;
}

export const INVALID_HANDLE_VALUE = -1;
export const GENERIC_WRITE = 0x40000000;
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const OPEN_EXISTING = 3;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
/** GetMailslotInfo's next-size when no message waits. */
export const MAILSLOT_NO_MESSAGE = 0xffffffff;

/** Win32 error codes the backend branches on (their names and meaning are @pipebus/os's table). */
export const WinError = {
  ERROR_FILE_NOT_FOUND: 2,
  ERROR_PATH_NOT_FOUND: 3,
  ERROR_ACCESS_DENIED: 5,
  ERROR_INVALID_HANDLE: 6,
  ERROR_BAD_NETPATH: 53,
  ERROR_INVALID_PARAMETER: 87,
  ERROR_SEM_TIMEOUT: 121,
  ERROR_INSUFFICIENT_BUFFER: 122,
  ERROR_INVALID_NAME: 123,
  ERROR_ALREADY_EXISTS: 183,
  ERROR_HANDLE_EOF: 38,
  ERROR_BROKEN_PIPE: 109,
  ERROR_NO_DATA: 232,
} as const;

let loaded: Kernel32 | undefined;

/** Loads kernel32 once per process (Windows only). */
export function kernel32(): Kernel32 {
  if (loaded !== undefined) return loaded;
  const lib = koffi.load('kernel32.dll');
  loaded = {
    CreateMailslotW: lib.func('intptr_t __stdcall CreateMailslotW(const char16_t *name, uint32_t maxSize, uint32_t timeout, void *sa)'),
    CreateFileW: lib.func('intptr_t __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, intptr_t tmpl)'),
    WriteFile: lib.func('bool __stdcall WriteFile(intptr_t h, void *buf, uint32_t size, void *written, void *ovl)') as Kernel32['WriteFile'],
    ReadFile: lib.func('bool __stdcall ReadFile(intptr_t h, void *buf, uint32_t size, void *read, void *ovl)') as Kernel32['ReadFile'],
    GetMailslotInfo: lib.func('bool __stdcall GetMailslotInfo(intptr_t h, void *maxSize, void *nextSize, void *count, void *timeout)'),
    SetMailslotInfo: lib.func('bool __stdcall SetMailslotInfo(intptr_t h, uint32_t timeout)'),
    CloseHandle: lib.func('bool __stdcall CloseHandle(intptr_t h)'),
    GetLastError: lib.func('uint32_t __stdcall GetLastError()'),
  };
  return loaded;
}
