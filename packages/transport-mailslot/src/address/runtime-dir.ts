import { lstatSync, mkdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { BusError } from '@pipebus/core';

/**
 * The private directory where POSIX slots (sockets) and group registries live:
 * `$XDG_RUNTIME_DIR/pipebus` when the session has one, else
 * `os.tmpdir()/pipebus-<uid>`. A relative `XDG_RUNTIME_DIR` is ignored, as the
 * XDG spec asks: it would name a different directory in every working
 * directory. Pure: nothing is created here.
 */
export function defaultRuntimeDir(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(tmpdir(), 'pipebus');
  const xdg = process.env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg.length > 0 && posix.isAbsolute(xdg)) return posix.join(xdg, 'pipebus');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `pipebus-${uid}`);
}

/**
 * A directory that passed {@link checkPrivateDir}, with the identity it had
 * then: a later lstat that finds another device/inode at the same path means
 * the directory (or one above it) was swapped.
 */
export interface CheckedDir {
  readonly path: string;
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Creates `dir` (and parents) with mode 0700 and checks it with
 * {@link checkPrivateDir}. On a shared /tmp another user could otherwise plant
 * a directory, or a symlink to one, and read every slot in it.
 * @throws BusError `ACCESS_DENIED` when the directory is not private, `OS_ERROR` when it cannot be made.
 */
export function ensurePrivateDir(dir: string): CheckedDir {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw osError(`cannot create the runtime directory ${dir}`, error, 'set options.runtimeDir to a writable directory');
  }
  return checkPrivateDir(dir);
}

/**
 * Creates `name` inside a checked directory (not its parents: they are
 * checked already) and checks it the same way, so that every component from
 * the runtime directory down is private.
 */
export function ensurePrivateSubdir(parent: CheckedDir, name: string): CheckedDir {
  const dir = join(parent.path, name);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw osError(`cannot create the directory ${dir}`, error, 'set options.runtimeDir to a writable directory');
  }
  return checkPrivateDir(dir);
}

/**
 * Checks, without following a symlink, that `dir` is an absolute path to a
 * directory owned by this user with no group/other permission bits — the same
 * policy as the named-pipe transport. On Windows only "a real directory" is
 * checked: ownership there is the DACL's business, and %TEMP% is per user.
 * @throws BusError `ACCESS_DENIED` naming what is wrong and what to do.
 */
export function checkPrivateDir(dir: string): CheckedDir {
  const windows = process.platform === 'win32';
  if (!(windows ? win32.isAbsolute(dir) : posix.isAbsolute(dir))) {
    throw new BusError('ACCESS_DENIED', `the mailslot runtime directory '${dir}' is a relative path, which names another directory in every working directory; set options.runtimeDir to an absolute path`, {
      details: { dir },
    });
  }
  let st: BigIntStats;
  try {
    st = lstatSync(dir, { bigint: true });
  } catch (error) {
    throw osError(`cannot use the mailslot runtime directory ${dir}`, error, 'set options.runtimeDir to a directory you own');
  }
  if (st.isSymbolicLink()) {
    throw new BusError('ACCESS_DENIED', `the mailslot runtime directory '${dir}' is a symlink${linkTarget(dir)}; pipebus does not follow it, because whoever can change it can redirect every slot: remove the link (pipebus then creates a private directory) or set options.runtimeDir to a real directory you own`, {
      details: { dir },
    });
  }
  if (!st.isDirectory()) {
    throw new BusError('ACCESS_DENIED', `the mailslot runtime directory '${dir}' is not a directory; move that file away or set options.runtimeDir`, { details: { dir } });
  }
  if (!windows) checkOwnerAndMode(dir, st);
  return { path: dir, dev: st.dev, ino: st.ino };
}

/**
 * Re-checks a directory checked before: it must still be the same directory
 * (lstat, same dev/ino), owned by this user and private. Costs one lstat.
 * @returns undefined when it is gone (ENOENT).
 * @throws BusError `ACCESS_DENIED` when it was replaced or opened up.
 */
export function recheckDir(checked: CheckedDir): CheckedDir | undefined {
  let st: BigIntStats | undefined;
  try {
    st = lstatSync(checked.path, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    throw osError(`cannot check the mailslot directory ${checked.path}`, error, 'check its permissions');
  }
  if (st === undefined) return undefined;
  if (st.isSymbolicLink() || !st.isDirectory() || st.dev !== checked.dev || st.ino !== checked.ino) {
    throw new BusError('ACCESS_DENIED', `the mailslot directory '${checked.path}' was replaced after start() (it is now ${st.isSymbolicLink() ? `a symlink${linkTarget(checked.path)}` : 'another file or directory'}); nothing more is sent through it: find out who changed it, then restart the transport`, {
      details: { dir: checked.path },
    });
  }
  if (process.platform !== 'win32') checkOwnerAndMode(checked.path, st);
  return checked;
}

function checkOwnerAndMode(dir: string, st: BigIntStats): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : Number(st.uid);
  if (Number(st.uid) !== uid) {
    throw new BusError('ACCESS_DENIED', `the mailslot runtime directory '${dir}' belongs to uid ${st.uid}, not to this user (uid ${uid}); someone else created it: remove it, or set options.runtimeDir to a directory you own`, {
      details: { dir, owner: Number(st.uid), uid },
    });
  }
  const mode = Number(st.mode & 0o777n);
  if ((mode & 0o077) !== 0) {
    throw new BusError('ACCESS_DENIED', `the mailslot runtime directory '${dir}' has mode ${mode.toString(8)}, open to other users; run 'chmod 700 ${dir}' or set options.runtimeDir`, {
      details: { dir, mode },
    });
  }
}

function linkTarget(path: string): string {
  try {
    return ` to '${readlinkSync(path)}'`;
  } catch {
    return '';
  }
}

function osError(what: string, error: unknown, advice: string): BusError {
  const e = error as NodeJS.ErrnoException;
  return new BusError(e.code === 'EACCES' || e.code === 'EPERM' ? 'ACCESS_DENIED' : 'OS_ERROR', `${what}: ${e.message}; ${advice}`, {
    cause: error,
    ...(e.code !== undefined && { osName: e.code }),
    ...(typeof e.errno === 'number' && { osCode: Math.abs(e.errno) }),
  });
}
