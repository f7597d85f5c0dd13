import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError } from '@pipebus/core';

/**
 * The private directory where POSIX slots (sockets) and group registries live:
 * `$XDG_RUNTIME_DIR/pipebus` when the session has one, else
 * `os.tmpdir()/pipebus-<uid>`. Pure: nothing is created here.
 */
export function defaultRuntimeDir(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(tmpdir(), 'pipebus');
  const xdg = process.env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg.length > 0) return join(xdg, 'pipebus');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `pipebus-${uid}`);
}

/**
 * Creates `dir` (and parents) with mode 0700 and checks that it is a directory
 * only this user can enter: on a shared /tmp another user could otherwise
 * plant a directory and read every slot in it.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new BusError('OS_ERROR', `cannot create the runtime directory ${dir}: ${e.message}; set options.runtimeDir to a writable directory`, {
      cause: error,
      ...(e.code !== undefined && { osName: e.code }),
      ...(typeof e.errno === 'number' && { osCode: -e.errno }),
    });
  }
  if (process.platform === 'win32') return;
  const st = statSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new BusError('ACCESS_DENIED', `runtime directory ${dir} must be a directory owned by uid ${uid} with mode 0700 (it has owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); fix it or set options.runtimeDir`, {
      details: { dir },
    });
  }
}
