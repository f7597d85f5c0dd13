import { PosixBackend } from '../posix/posix-backend.js';
import { Win32Backend } from '../win32/win32-backend.js';
import type { SlotBackend } from './slot-backend.js';

let backend: SlotBackend | undefined;

/** The process's one backend, made on first use (it loads libc or kernel32). */
export function platformBackend(): SlotBackend {
  backend ??= process.platform === 'win32' ? new Win32Backend() : new PosixBackend();
  return backend;
}
