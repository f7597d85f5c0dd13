import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

// The example tests run the built examples (pnpm test builds first), as a user would.
const DIST = path.join(__dirname, '..', 'dist');
// Under Wine, pnpm's symlinks are plain directories to Windows Node, so a process may load two
// copies of core; that works since Transport and BusError are recognised by a Symbol.for brand.

/**
 * Runs a built example with this Node (Windows Node under Wine too), with `args` and `env` added to
 * this process's environment; resolves with its exit code and output.
 */
export function runBuilt(script: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<{ code: number; out: string }> {
  const file = path.join(DIST, script);
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (pnpm test builds)`);
  return new Promise((resolve) => {
    // The demo bounds itself (and kills its children); this bound only catches an example that would not.
    execFile(process.execPath, [file, ...args], { timeout: 150_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: `${stdout}${stderr}` });
    });
  });
}

/** A line of a child's output as the examples' runners print it: `  label | text`. */
export function childLine(label: string, text: string): RegExp {
  return new RegExp(`^  ${label} +\\| ${text}`, 'm');
}
