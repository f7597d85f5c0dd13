import type { ByteSource, CliIo } from '../src/index.js';

/** A CliIo that records lines, with a controller to stop long-running commands; `stdin` is what `-` reads. */
export function recordingIo(stdin: ByteSource = noStdin()): CliIo & { lines: string[]; errors: string[]; controller: AbortController; waitForLine(re: RegExp, timeoutMs?: number): Promise<string> } {
  const lines: string[] = [];
  const errors: string[] = [];
  const controller = new AbortController();
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  const push = (list: string[], line: string): void => {
    list.push(line);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  return {
    lines,
    errors,
    controller,
    out: (line) => push(lines, line),
    err: (line) => push(errors, line),
    signal: controller.signal,
    stdin,
    waitForLine(re, timeoutMs = 10_000) {
      const seen = [...lines, ...errors].find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${[...lines, ...errors].join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
  };
}

/** A test that did not give stdin must never read the real one (it would wait for a terminal). */
async function* noStdin(): AsyncGenerator<Uint8Array> {
  throw new Error('this test gave the command no stdin');
}
