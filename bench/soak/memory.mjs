// Shared by the soak's processes: answer "mem" on stdin with settled memory
// (two GCs first: --expose-gc) plus what `extra()` adds, and shut down when
// the parent's pipe closes.
import { createInterface } from 'node:readline';
import { settledMemory } from '../lib/memory.mjs';

export { settledMemory };

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
