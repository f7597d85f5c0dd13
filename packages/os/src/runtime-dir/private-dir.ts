import { lstatSync, mkdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { BusError } from '@pipebus/core';
import { errnoError } from '../errors/errno-error.js';
import type { OsAdvice } from '../errors/os-advice.js';
import { currentJudge, judgeDir, type DirProblem } from './dir-policy.js';

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

/** Options of the checks: advice for an `lstat` that fails (the caller's words, e.g. "is the server running?"). */
export interface DirCheckOptions {
  readonly advice?: OsAdvice | string;
}

const CREATE_ADVICE = 'set options.runtimeDir to a writable directory';
const USE_ADVICE = 'set options.runtimeDir to a directory you own';

/**
 * Creates `dir` (and parents) with mode 0700 and checks it with
 * {@link checkPrivateDir}. On a shared /tmp another user could otherwise plant
 * a directory, or a symlink to one, and read or hijack everything in it.
 * @throws BusError `ACCESS_DENIED` when the directory is not private, another code (`OS_ERROR`...) when it cannot be made.
 */
export function ensurePrivateDir(dir: string, options: DirCheckOptions = {}): CheckedDir {
  refuseRelative(dir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // A file where the directory should be: the check below says so in words (ACCESS_DENIED).
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw errnoError(`create the runtime directory '${dir}'`, error, { advice: CREATE_ADVICE });
  }
  return checkPrivateDir(dir, options);
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
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw errnoError(`create the directory '${dir}'`, error, { advice: CREATE_ADVICE });
  }
  return checkPrivateDir(dir);
}

/**
 * Checks, without following a symlink and without creating anything, that
 * `dir` is private by {@link judgeDir}'s rules.
 * @throws BusError `ACCESS_DENIED` naming what is wrong and what to do; the
 *   lstat's own code (`NOT_FOUND`...) when the directory cannot be read.
 */
export function checkPrivateDir(dir: string, options: DirCheckOptions = {}): CheckedDir {
  refuseRelative(dir);
  let st: BigIntStats;
  try {
    st = lstatSync(dir, { bigint: true });
  } catch (error) {
    throw errnoError(`use the runtime directory '${dir}'`, error, { advice: options.advice ?? USE_ADVICE });
  }
  const problem = judgeDir(dir, st);
  if (problem !== undefined) throw dirError(dir, problem);
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
    throw errnoError(`check the directory '${checked.path}'`, error, { advice: 'check its permissions' });
  }
  if (st === undefined) return undefined;
  if (st.isSymbolicLink() || !st.isDirectory() || st.dev !== checked.dev || st.ino !== checked.ino) {
    const now = st.isSymbolicLink() ? `a symlink${linkTarget(checked.path)}` : 'another file or directory';
    throw new BusError('ACCESS_DENIED', `the directory '${checked.path}' was replaced after start() (it is now ${now}); nothing more is sent through it: find out who changed it, then restart the transport`, {
      details: { dir: checked.path },
    });
  }
  const problem = judgeDir(checked.path, st);
  if (problem !== undefined) throw dirError(checked.path, problem);
  return checked;
}

/**
 * The BusError for a directory {@link judgeDir} refused, in words that say
 * what to change. Always `ACCESS_DENIED` (`INVALID_ARGUMENT` is the options'
 * business: a relative `runtimeDir` is refused when the transport is made).
 */
export function dirError(dir: string, problem: DirProblem): BusError {
  const where = `the runtime directory '${dir}'`;
  switch (problem.kind) {
    case 'relative':
      return new BusError('ACCESS_DENIED', `${where} is a relative path, which names another directory in every working directory; set options.runtimeDir to an absolute path`, { details: { dir } });
    case 'symlink':
      return new BusError('ACCESS_DENIED', `${where} is a symlink${linkTarget(dir)}; pipebus does not follow it, because whoever can change it can redirect every socket and slot: remove the link (pipebus then creates a private directory) or set options.runtimeDir to a real directory you own`, { details: { dir } });
    case 'not-directory':
      return new BusError('ACCESS_DENIED', `${where} is not a directory; move that file away or set options.runtimeDir`, { details: { dir } });
    case 'foreign-owner':
      return new BusError('ACCESS_DENIED', `${where} belongs to uid ${problem.owner}, not to this user (uid ${problem.uid}); someone else created it: remove it, or set options.runtimeDir to a directory you own`, {
        details: { dir, owner: problem.owner, uid: problem.uid },
      });
    case 'open-mode':
      return new BusError('ACCESS_DENIED', `${where} has mode ${problem.mode.toString(8)}, open to other users; run 'chmod 700 ${dir}' or set options.runtimeDir`, { details: { dir, mode: problem.mode } });
  }
}

/** ` to '<target>'` for a symlink, '' when it cannot be read (it may be gone already). */
export function linkTarget(path: string): string {
  try {
    return ` to '${readlinkSync(path)}'`;
  } catch {
    return '';
  }
}

function refuseRelative(dir: string): void {
  const problem = judgeDir(dir, undefined, currentJudge());
  if (problem !== undefined) throw dirError(dir, problem);
}
