import { lazyNative } from '@pipebus/os';
import type { SlotBackend } from './slot-backend.js';

// The CommonJS build's stand-in for choose-backend.ts: require() rather than
// import(), which tshy keeps in CommonJS output and which a CommonJS host
// without an ESM loader (jest's default runtime) refuses. Still loaded on the
// first start(), never at import.
const load = lazyNative(process.platform === 'win32' ? 'kernel32 through koffi' : 'libc through koffi', async (): Promise<SlotBackend> => {
  if (process.platform === 'win32') return new (require('../win32/win32-backend.js') as typeof import('../win32/win32-backend.js')).Win32Backend();
  return new (require('../posix/posix-backend.js') as typeof import('../posix/posix-backend.js')).PosixBackend();
});

/** The process's one backend, made on first use (it loads koffi and libc or kernel32). */
export function loadPlatformBackend(): Promise<SlotBackend> {
  return load();
}
