// Shared by the soak's processes: answer "mem" on stdin with settled memory
// (two GCs first: --expose-gc) plus what `extra()` adds, and shut down when
// the parent's pipe closes.
import { createInterface } from 'node:readline';

/** Heap and RSS after two full GCs, so a checkpoint shows what is live, not what awaits collection. */
export function settledMemory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}

export function serveMemoryCommands(extra, close) {
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line.trim() === 'mem') process.stdout.write(`${JSON.stringify({ ...settledMemory(), ...extra() })}\n`);
  });
  commands.on('close', () => {
    setTimeout(() => process.exit(0), 1000).unref();
    void close().finally(() => process.exit(0));
  });
}
