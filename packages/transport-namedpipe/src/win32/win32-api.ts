// koffi has one index.d.ts for its import and require entries, in a "type": "module"
// package, so the CommonJS build takes it for ESM (TS1479) although require('koffi')
// loads its index.cjs. The ESM build has no error here, so not @ts-expect-error.
// @ts-ignore TS1479 in the CommonJS build only
import koffi from 'koffi';

/**
 * Every Win32 (and libuv) function this package calls through koffi,
 * declared once. Loaded on Windows only, by the win32 backend.
 *
 * Node's pipe server cannot set a DACL or tell a client's pid, so instances
 * are created here; the bytes still flow through libuv (`net.Socket` over the
 * HANDLE, made a CRT fd by node.exe's own `uv_open_osfhandle` — a fd from
 * ucrtbase's `_open_osfhandle` belongs to another CRT and Node rejects it).
 */

/** An opaque Win32 HANDLE as koffi passes it around. */
export type Handle = unknown;

// Values from the Windows SDK headers.
export const PIPE_ACCESS_DUPLEX = 0x0000_0003;
export const FILE_FLAG_OVERLAPPED = 0x4000_0000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x0008_0000;
export const PIPE_TYPE_BYTE = 0x0;
export const PIPE_READMODE_BYTE = 0x0;
export const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
export const PIPE_UNLIMITED_INSTANCES = 255;
export const GENERIC_READ = 0x8000_0000;
export const GENERIC_WRITE = 0x4000_0000;
export const OPEN_EXISTING = 3;
export const WAIT_OBJECT_0 = 0;
export const WAIT_TIMEOUT = 258;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_SEM_TIMEOUT = 121;
export const ERROR_PIPE_BUSY = 231;
export const ERROR_PIPE_CONNECTED = 535;
export const ERROR_IO_PENDING = 997;
export const TOKEN_QUERY = 0x0008;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const TOKEN_USER_CLASS = 1;
export const SDDL_REVISION_1 = 1;
/** sizeof(OVERLAPPED) on x64, and where its hEvent sits. */
export const OVERLAPPED_BYTES = 32;
export const OVERLAPPED_EVENT_OFFSET = 24;
const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;

const kernel32 = koffi.load('kernel32.dll');
const advapi32 = koffi.load('advapi32.dll');
// node.exe exports libuv; its uv_open_osfhandle makes a fd of Node's own CRT.
const nodeExe = koffi.load(process.execPath);

// Anonymous types: koffi's type names are process-wide, and a second copy of
// this module (jest loads one per test file) must not collide with the first.
const HANDLE = koffi.pointer(koffi.opaque());
const SECURITY_ATTRIBUTES = koffi.struct({
  nLength: 'uint32_t',
  lpSecurityDescriptor: 'void *',
  bInheritHandle: 'int',
});
const DWORD_OUT = koffi.out(koffi.pointer('uint32_t'));
const POINTER_OUT = koffi.out(koffi.pointer('void *'));

/** The bound functions; see the Win32 documentation of each. */
export const win32 = {
  CreateNamedPipeW: kernel32.func('__stdcall', 'CreateNamedPipeW', HANDLE, ['str16', 'uint32_t', 'uint32_t', 'uint32_t', 'uint32_t', 'uint32_t', 'uint32_t', koffi.pointer(SECURITY_ATTRIBUTES)]),
  ConnectNamedPipe: kernel32.func('__stdcall', 'ConnectNamedPipe', 'int', [HANDLE, 'void *']),
  CreateFileW: kernel32.func('__stdcall', 'CreateFileW', HANDLE, ['str16', 'uint32_t', 'uint32_t', 'void *', 'uint32_t', 'uint32_t', 'void *']),
  WaitNamedPipeW: kernel32.func('__stdcall', 'WaitNamedPipeW', 'int', ['str16', 'uint32_t']),
  GetNamedPipeClientProcessId: kernel32.func('__stdcall', 'GetNamedPipeClientProcessId', 'int', [HANDLE, DWORD_OUT]),
  GetNamedPipeServerProcessId: kernel32.func('__stdcall', 'GetNamedPipeServerProcessId', 'int', [HANDLE, DWORD_OUT]),
  GetOverlappedResult: kernel32.func('__stdcall', 'GetOverlappedResult', 'int', [HANDLE, 'void *', DWORD_OUT, 'int']),
  CancelIoEx: kernel32.func('__stdcall', 'CancelIoEx', 'int', [HANDLE, 'void *']),
  CreateEventW: kernel32.func('__stdcall', 'CreateEventW', HANDLE, ['void *', 'int', 'int', 'void *']),
  SetEvent: kernel32.func('__stdcall', 'SetEvent', 'int', [HANDLE]),
  ResetEvent: kernel32.func('__stdcall', 'ResetEvent', 'int', [HANDLE]),
  WaitForSingleObject: kernel32.func('__stdcall', 'WaitForSingleObject', 'uint32_t', [HANDLE, 'uint32_t']),
  CloseHandle: kernel32.func('__stdcall', 'CloseHandle', 'int', [HANDLE]),
  GetLastError: kernel32.func('__stdcall', 'GetLastError', 'uint32_t', []),
  GetCurrentProcess: kernel32.func('__stdcall', 'GetCurrentProcess', HANDLE, []),
  OpenProcess: kernel32.func('__stdcall', 'OpenProcess', HANDLE, ['uint32_t', 'int', 'uint32_t']),
  LocalFree: kernel32.func('__stdcall', 'LocalFree', 'void *', ['void *']),
  OpenProcessToken: advapi32.func('__stdcall', 'OpenProcessToken', 'int', [HANDLE, 'uint32_t', koffi.out(koffi.pointer(HANDLE))]),
  GetTokenInformation: advapi32.func('__stdcall', 'GetTokenInformation', 'int', [HANDLE, 'uint32_t', 'void *', 'uint32_t', DWORD_OUT]),
  ConvertSidToStringSidW: advapi32.func('__stdcall', 'ConvertSidToStringSidW', 'int', ['void *', POINTER_OUT]),
  ConvertStringSecurityDescriptorToSecurityDescriptorW: advapi32.func('__stdcall', 'ConvertStringSecurityDescriptorToSecurityDescriptorW', 'int', ['str16', 'uint32_t', POINTER_OUT, 'void *']),
  uv_open_osfhandle: nodeExe.func('uv_open_osfhandle', 'int', [HANDLE]),
};

/** True for INVALID_HANDLE_VALUE and NULL, the two ways Win32 says "no handle". */
export function isInvalidHandle(handle: Handle): boolean {
  if (handle === null || handle === undefined) return true;
  const address = koffi.address(handle);
  return address === INVALID_HANDLE_VALUE || address === 0n;
}

/** Fixed memory for an OVERLAPPED (it must not move while I/O is pending), with `event` as its hEvent. */
export function allocOverlapped(event: Handle): unknown {
  const overlapped = koffi.alloc('uint8_t', OVERLAPPED_BYTES);
  resetOverlapped(overlapped, event);
  return overlapped;
}

/** Zeroes an OVERLAPPED for its next operation, keeping its event. */
export function resetOverlapped(overlapped: unknown, event: Handle): void {
  koffi.encode(overlapped, 0, 'uint8_t', new Array(OVERLAPPED_BYTES).fill(0), OVERLAPPED_BYTES);
  koffi.encode(overlapped, OVERLAPPED_EVENT_OFFSET, 'void *', event);
}

/** Frees what {@link allocOverlapped} made, once no I/O uses it. */
export function freeMemory(pointer: unknown): void {
  koffi.free(pointer);
}

/** `WaitForSingleObject` on the libuv pool, so the event loop keeps running; resolves the wait result. */
export function waitForObjectAsync(handle: Handle, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    win32.WaitForSingleObject.async(handle, timeoutMs, (error: unknown, result: number) => (error ? reject(error) : resolve(result)));
  });
}

/** Reads a NUL-terminated UTF-16 string at `pointer`. */
export function decodeWideString(pointer: unknown): string {
  return koffi.decode(pointer, 'char16_t', -1) as string;
}

/** Reads the pointer stored at the start of `buffer`. */
export function decodePointer(buffer: Buffer): unknown {
  return koffi.decode(buffer, 'void *');
}

/** Builds the SECURITY_ATTRIBUTES koffi passes for a security descriptor pointer. */
export function securityAttributes(descriptor: unknown): { nLength: number; lpSecurityDescriptor: unknown; bInheritHandle: number } {
  return { nLength: koffi.sizeof(SECURITY_ATTRIBUTES), lpSecurityDescriptor: descriptor, bInheritHandle: 0 };
}
