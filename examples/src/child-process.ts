import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child Node process whose stdout lines are prefixed and echoed, and can be awaited. */
export interface NodeChild {
  readonly process: ChildProcess;
  /** Resolves with the first stdout line matching `re`; rejects if the child exits first. */
  waitForLine(re: RegExp): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

/**
 * Starts `script` with this Node binary. Each stdout line is printed with a
 * label so the output of several processes stays readable when interleaved.
 */
export function startNode(script: string, args: string[], label: string): NodeChild {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  void exited.then((code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${label} exited with code ${code} before printing ${w.re}`));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    console.log(`  ${label.padEnd(12)} | ${line}`);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  return {
    process: child,
    exited,
    waitForLine: (re) => new Promise((resolve, reject) => waiters.push({ re, resolve, reject })),
  };
}
