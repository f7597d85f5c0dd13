// Echo server process of bench/reqrep and bench/namedpipe, one per system
// under test (see systems.mjs for the modes).
//   node server.mjs MODE ADDRESS CODEC
// Prints "ready" once it accepts requests. On stdin, "mem" prints
// {rssBytes, heapUsedBytes, bare*, loaded*} after a GC (start with --expose-gc):
// bare* before the library was loaded, loaded* after, before listening; the end of a
// piped stdin, SIGTERM or SIGINT shut it down.
import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadLibraries, memoryReport, servers, settledMemory } from './systems.mjs';

const [mode, address, codec] = process.argv.slice(2);
if (!servers[mode]) throw new Error(`unknown mode ${mode}; one of ${Object.keys(servers).join(', ')}`);
// The process before the system's library is loaded: what it adds is idle heap minus this.
const bare = settledMemory();
await loadLibraries(mode);
// With the library loaded, before connecting: its code is loaded minus bare, one connection's state idle minus this.
const loaded = settledMemory();
const server = await servers[mode](address, codec);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  // Exit through process.exit so that --cpu-prof writes its profile, even if close hangs.
  setTimeout(() => process.exit(0), 1000).unref();
  await server.close().catch(() => {});
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, stop);

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() !== 'mem') return;
  process.stdout.write(`${JSON.stringify(memoryReport(bare, loaded))}\n`);
});
// Only a pipe from a parent counts as its lifeline: /dev/null or a closed tty
// (a server started by hand in the background) does not.
const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) commands.on('close', stop);
process.stdout.write('ready\n');
