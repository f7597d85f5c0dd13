import { lstatSync, readlinkSync } from 'node:fs';
import { judgeDir, type DirProblem } from './dir-policy.js';

/** What {@link inspectPrivateDir} found, for a report (`pipebus doctor`) rather than an error. */
export type DirInspection =
  | { readonly status: 'ok'; readonly mode: number }
  | { readonly status: 'absent' }
  | { readonly status: 'refused'; readonly problem: DirProblem; readonly linkTarget?: string }
  | { readonly status: 'unreadable'; readonly error: Error };

/**
 * Judges `dir` by the same rules the transports apply ({@link judgeDir}),
 * without throwing or creating anything: a directory they would refuse is
 * reported `refused` with the reason, so a diagnosis never disagrees with them.
 */
export function inspectPrivateDir(dir: string): DirInspection {
  const relative = judgeDir(dir, undefined);
  if (relative !== undefined) return { status: 'refused', problem: relative };
  let st;
  try {
    st = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
    return { status: 'unreadable', error: error as Error };
  }
  const problem = judgeDir(dir, st);
  if (problem === undefined) return { status: 'ok', mode: st.mode & 0o777 };
  if (problem.kind !== 'symlink') return { status: 'refused', problem };
  let target: string | undefined;
  try {
    target = readlinkSync(dir);
  } catch {
    target = undefined;
  }
  return { status: 'refused', problem, ...(target !== undefined && { linkTarget: target }) };
}
