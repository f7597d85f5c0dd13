import fs from 'node:fs/promises';
import { BusError } from '@pipebus/core';
import { errnoError } from '../errors/os-error.js';

/**
 * Makes sure `dir` is a private directory of this user: creates it with mode
 * 0700 if missing, and refuses (ACCESS_DENIED) one that is a symlink, owned by
 * someone else, or open to other users — any of which would let another user
 * plant or hijack our sockets.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { mode: 0o700, recursive: true });
  } catch (error) {
    throw errnoError(`create the runtime directory '${dir}'`, error);
  }
  await checkPrivateDir(dir);
}

/** Checks (without creating) that `dir` is a private directory of this user; see {@link ensurePrivateDir}. */
export async function checkPrivateDir(dir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(dir);
  } catch (error) {
    throw errnoError(`use the runtime directory '${dir}'`, error);
  }
  if (!stat.isDirectory()) {
    throw new BusError('ACCESS_DENIED', `the runtime directory '${dir}' is not a directory (a symlink or file is there); remove it or set runtimeDir`, { details: { dir } });
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new BusError('ACCESS_DENIED', `the runtime directory '${dir}' belongs to uid ${stat.uid}, not to this user (uid ${uid}); someone else created it: remove it, or set runtimeDir to a directory you own`, {
      details: { dir, owner: stat.uid, uid },
    });
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new BusError('ACCESS_DENIED', `the runtime directory '${dir}' has mode ${(stat.mode & 0o777).toString(8)}, open to other users; run 'chmod 700 ${dir}' or set runtimeDir`, {
      details: { dir, mode: stat.mode & 0o777 },
    });
  }
}
