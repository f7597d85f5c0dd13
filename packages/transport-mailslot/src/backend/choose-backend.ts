import { lazyNative } from '@pipebus/os';
import type { SlotBackend } from './slot-backend.js';

// The backend module imports koffi and opens libc or kernel32: it is loaded on
// the first start(), never when the package is imported (@pipebus/os's rule,
// the same as the named-pipe transport's).
const load = lazyNative(process.platform === 'win32' ? 'kernel32 through koffi' : 'libc through koffi', async (): Promise<SlotBackend> => {
  if (process.platform === 'win32') return new (await import('../win32/win32-backend.js')).Win32Backend();
  return new (await import('../posix/posix-backend.js')).PosixBackend();
});

/** The process's one backend, made on first use (it loads koffi and libc or kernel32). */
export function loadPlatformBackend(): Promise<SlotBackend> {
  return load();
}
