// Process helpers for the consumer run (run.mjs): run a command with its
// output captured, bounded in time, in its own process group so that a hung
// fixture (and every child it started) can be killed as one.
import { spawn } from 'node:child_process';

/**
 * The environment a fixture's npm and node run with: ours minus what pnpm
 * sets for the scripts it runs (npm_config_*, npm_package_*, PNPM_*), so npm
 * in the fixture reads its own defaults rather than the workspace's settings
 * (node-linker=hoisted, the registry pnpm chose, the workspace dir...).
 * @param {Record<string, string>} extra
 * @returns {NodeJS.ProcessEnv}
 */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_)/i.test(key) || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Runs `command args` in `cwd` and resolves with its exit code and its
 * combined output; never rejects. Killed (whole group) after `timeoutMs`,
 * which is then reported as code 124 with a line saying so.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv, timeoutMs: number }} options
 * @returns {Promise<{ code: number, output: string, ms: number }>}
 */
export function run(command, args, { cwd, env = process.env, timeoutMs }) {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 127, output: `${output}\n${command}: ${error.message}`, ms: Date.now() - started });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // A fixture's stray children (a server left running) go with it.
      killGroup(child.pid);
      const note = timedOut ? `\n[consumers] killed after ${timeoutMs} ms` : signal ? `\n[consumers] killed by ${signal}` : '';
      resolve({ code: timedOut ? 124 : (code ?? 1), output: output + note, ms: Date.now() - started });
    });
  });
}

/** @param {number | undefined} pid */
function killGroup(pid) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
