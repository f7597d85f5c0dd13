import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The second user of the second-user suite: `nobody` (65534), which every
 * Linux system has. Switching a child to it needs root: CI runs as root, so
 * there the suite runs; elsewhere its cases are skipped with the reason in
 * their names, never faked.
 */
export const OTHER_UID = 65534;
export const OTHER_GID = 65534;
export const canSwitchUser = process.platform !== 'win32' && process.getuid?.() === 0;
/** `it` where a child can run as another user, else `it.skip`. */
export const asRoot = (it: jest.It): jest.It => (canSwitchUser ? it : it.skip);

/**
 * A directory both users can use, as a shared /tmp subdirectory would be:
 * mode 1777 (anyone may create, only owners may delete). The other user's
 * scripts are copied in, since the checkout may sit where only we can read
 * (a clone under `mktemp -d`).
 */
export function sharedDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-shared-'));
  fs.chmodSync(dir, 0o1777);
  return dir;
}

/** Copies `script` into `dir` readable by all and runs it there as the other user, with an IPC channel. */
export function forkAsOtherUser(dir: string, script: string, args: readonly string[]): ChildProcess {
  const copy = path.join(dir, path.basename(script));
  fs.copyFileSync(script, copy);
  fs.chmodSync(copy, 0o644);
  return fork(copy, [...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [], cwd: dir, uid: OTHER_UID, gid: OTHER_GID });
}
