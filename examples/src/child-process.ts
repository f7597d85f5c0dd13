import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child Node process whose stdout lines are prefixed and echoed, and can be awaited. */
export interface NodeChild {
  readonly process: ChildProcess;
  readonly label: string;
  /**
   * Resolves with the first stdout line matching `re`, including lines printed
   * before the call; rejects if the child exits without printing one.
   */
  waitForLine(re: RegExp): Promise<string>;
  /** Resolves with the exit code (1 when a signal ended it). */
  readonly exited: Promise<number>;
}

/** The children started and not yet exited, so that a parent can end them all on its way out. */
const running = new Set<ChildProcess>();

/**
 * Starts `script` with this Node binary. Each stdout line is printed with a
 * label so the output of several processes stays readable when interleaved.
 */
export function startNode(script: string, args: string[], label: string): NodeChild {
  // With this process's Node options (--import hooks, --inspect...), as a child the parent is would have.
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  const seen: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  // 'close', not 'exit': every line the child wrote has been read by then.
  const closed = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  void closed.then((code) => {
    running.delete(child);
    for (const w of waiters.splice(0)) w.reject(new Error(`${label} exited with code ${code} before printing ${w.re}`));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    console.log(`  ${label.padEnd(12)} | ${line}`);
    seen.push(line);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  return {
    process: child,
    label,
    exited,
    waitForLine: (re) => {
      const line = seen.find((l) => re.test(l));
      if (line !== undefined) return Promise.resolve(line);
      if (!running.has(child)) return Promise.reject(new Error(`${label} exited before printing ${re}`));
      return new Promise((resolve, reject) => waiters.push({ re, resolve, reject }));
    },
  };
}

/** Kills every child still running (SIGKILL: a parent that gives up does not wait for them). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
