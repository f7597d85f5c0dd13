// Child processes for benchmarks: every system under test runs its client,
// server, publisher and subscribers in processes of their own, and talks to
// the orchestrator in lines on stdout (and, where it needs orders, stdin).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts a child process and gives line-by-line access to its stdout.
 * stderr is inherited so a failing system says why in the terminal.
 */
export function startProcess(command, args, { env, cwd } = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: env ? { ...process.env, ...env } : process.env, cwd });
  const lines = createInterface({ input: child.stdout });
  const seen = [];
  const waiters = [];
  lines.on('line', (line) => {
    seen.push(line);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exitCode = null;
  void exited.then(({ code, signal }) => {
    exitCode = code ?? signal;
    for (const wake of waiters.splice(0)) wake();
  });
  const label = `${command.split('/').pop()} ${args.map((a) => String(a).split('/').pop()).join(' ')}`;
  return {
    child,
    exited,
    /** The next stdout line; rejects if the process exits first or `timeoutMs` passes. */
    async line(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length === 0) {
        if (exitCode !== null) throw new Error(`${label} exited (${exitCode}) before printing a line`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${label} printed nothing for ${timeoutMs} ms`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return seen.shift();
    },
    /** The next stdout line parsed as JSON. */
    async json(timeoutMs) {
      const text = await this.line(timeoutMs);
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`${label} printed "${text}" where JSON was expected`);
      }
    },
    /** Waits for a line equal to `expected` (e.g. "ready"). */
    async expect(expected, timeoutMs) {
      const text = await this.line(timeoutMs);
      if (text !== expected) throw new Error(`${label} printed "${text}", expected "${expected}"`);
    },
    /** Writes one line to the child's stdin. */
    send(text) {
      child.stdin.write(`${text}\n`);
    },
    /** SIGTERM, then SIGKILL if the process has not gone within `graceMs`. */
    async stop(graceMs = 3000) {
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `node script args…` with the running Node binary. */
export function startNode(script, args = [], options = {}) {
  const flags = options.nodeFlags ?? [];
  return startProcess(process.execPath, [...flags, script, ...args.map(String)], options);
}
