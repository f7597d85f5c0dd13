// Compiles the bench's C programs with the system's cc into .cache/bench (not
// committed), again only when the source changed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Returns the path of the built program, or `{ error }` when no C compiler works. */
export function buildC(source) {
  const outDir = join(root, '.cache', 'bench');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, basename(source, '.c'));
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return { path: out };
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
    try {
      execFileSync(cc, ['-O2', '-Wall', '-o', out, source], { stdio: ['ignore', 'ignore', 'pipe'] });
      return { path: out };
    } catch (error) {
      if (error.code !== 'ENOENT') return { error: `${cc} failed: ${String(error.stderr ?? error.message).trim()}` };
    }
  }
  return { error: 'no C compiler found (cc, gcc, clang)' };
}
