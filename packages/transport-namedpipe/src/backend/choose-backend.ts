import type { ResolvedPipeAddress } from '../address/resolve-address.js';
import type { PipeBackend } from './pipe-backend.js';

/** Loads the backend for an address kind; platform modules load only where they run. */
export async function loadBackend(kind: ResolvedPipeAddress['kind']): Promise<PipeBackend> {
  if (kind === 'win32-pipe') return (await import('../win32/win32-backend.js')).win32Backend;
  return (await import('../posix/posix-backend.js')).posixBackend;
}
