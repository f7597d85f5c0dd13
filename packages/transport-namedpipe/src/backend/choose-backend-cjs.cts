import type { ResolvedPipeAddress } from '../address/resolve-address.js';
import type { PipeBackend } from './pipe-backend.js';

// The CommonJS build's stand-in for choose-backend.ts. tshy keeps `import()` as
// it is in CommonJS output, and a CommonJS host without an ESM loader for it
// (jest's default runtime: "A dynamic import callback was invoked without
// --experimental-vm-modules") cannot run it; require() loads the CommonJS
// backend as lazily, on the first start().

/** Loads the backend for an address kind; platform modules load only where they run. */
export async function loadBackend(kind: ResolvedPipeAddress['kind']): Promise<PipeBackend> {
  if (kind === 'win32-pipe') return (require('../win32/win32-backend.js') as typeof import('../win32/win32-backend.js')).win32Backend;
  return (require('../posix/posix-backend.js') as typeof import('../posix/posix-backend.js')).posixBackend;
}
