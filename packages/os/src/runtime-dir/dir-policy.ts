import { posix, win32 } from 'node:path';

/**
 * Why a directory is not private enough to hold sockets, slots or registries.
 * Any of these would let another user plant, read or redirect them.
 */
export type DirProblem =
  | { readonly kind: 'relative' }
  | { readonly kind: 'symlink' }
  | { readonly kind: 'not-directory' }
  | { readonly kind: 'foreign-owner'; readonly owner: number; readonly uid: number }
  | { readonly kind: 'open-mode'; readonly mode: number };

/** What {@link judgeDir} needs from an `lstat` (plain or bigint). */
export interface DirStats {
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  readonly uid: number | bigint;
  readonly mode: number | bigint;
}

/** Whose process this is and where it runs; injectable so the rules are testable as a pure function. */
export interface DirJudge {
  readonly platform: NodeJS.Platform;
  /** This process's uid; undefined where the OS has none (Windows). */
  readonly uid: number | undefined;
}

/** The running process, for {@link judgeDir}. */
export function currentJudge(): DirJudge {
  return { platform: process.platform, uid: typeof process.getuid === 'function' ? process.getuid() : undefined };
}

/** True when `dir` is absolute by the rules of `platform`. */
export function isAbsoluteDir(dir: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' ? win32.isAbsolute(dir) : posix.isAbsolute(dir);
}

/**
 * The one runtime-directory rule set of pipebus, the strictest of what the
 * transports had: an absolute path, not a symlink (lstat: never followed),
 * a directory, and on POSIX owned by this user with no group/other bits. On
 * Windows only "a real directory" is judged: ownership there is the DACL's
 * business, and %TEMP% is per user. `st` is `undefined` to judge the path alone.
 * @returns the first problem found, or undefined when the directory is private.
 */
export function judgeDir(dir: string, st: DirStats | undefined, judge: DirJudge = currentJudge()): DirProblem | undefined {
  if (!isAbsoluteDir(dir, judge.platform)) return { kind: 'relative' };
  if (st === undefined) return undefined;
  if (st.isSymbolicLink()) return { kind: 'symlink' };
  if (!st.isDirectory()) return { kind: 'not-directory' };
  if (judge.platform === 'win32') return undefined;
  const owner = Number(st.uid);
  if (judge.uid !== undefined && owner !== judge.uid) return { kind: 'foreign-owner', owner, uid: judge.uid };
  const mode = Number(st.mode) & 0o777;
  if ((mode & 0o077) !== 0) return { kind: 'open-mode', mode };
  return undefined;
}
