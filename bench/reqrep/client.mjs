// Client process of bench/reqrep and bench/namedpipe: serial latency, then
// throughput with a window of requests in flight, against one of the echo
// servers of server.mjs (see systems.mjs for the modes).
//
// One shot (prints one JSON line {serial, pipelined} and exits):
//   node client.mjs MODE ADDRESS CODEC SIZE SERIAL PIPELINED WINDOW
// Driven (prints "ready", then one JSON line per command read on stdin):
//   node client.mjs MODE ADDRESS CODEC
//   serial SIZE COUNT WARMUP MAX_MS            → {count, p50, p90, p99, perSecond} (µs)
//   pipelined SIZE COUNT WARMUP WINDOW MAX_MS  → {count, window, messagesPerSecond}
//   mem                                        → {rssBytes, heapUsedBytes, bare*, loaded*} after a GC (--expose-gc);
//                                                 bare*: this process before the system's library was loaded,
//                                                 loaded*: after loading it, before connecting
//   more COUNT                                 → {clients, heapUsedBytes, rssBytes}: what each of COUNT more
//                                                 idle connected clients adds, the code already loaded
//   quit
// MAX_MS bounds a measurement's wall time so slow systems do not stretch the
// suite; the count actually done is reported.
import { createInterface } from 'node:readline';
import { summarize } from '../lib/stats.mjs';
import { clients, loadLibraries, memoryReport, settledMemory } from './systems.mjs';

const [mode, address, codec, ...rest] = process.argv.slice(2);
if (!clients[mode]) throw new Error(`unknown mode ${mode}; one of ${Object.keys(clients).join(', ')}`);
// The process before the system's library is loaded: what it adds is idle heap minus this.
const bare = settledMemory();
await loadLibraries(mode);
// With the library loaded, before connecting: its code is loaded minus bare, one connection's state idle minus this.
const loaded = settledMemory();
const { call, close } = await clients[mode](address, codec);

const payloads = new Map();
/** The same bytes for every system: SIZE bytes of 7. */
const payloadOf = (size) => payloads.get(size) ?? payloads.set(size, new Uint8Array(size).fill(7)).get(size);

async function check(size) {
  const reply = await call(payloadOf(size));
  if (reply?.byteLength !== size) throw new Error(`${mode}: sent ${size} bytes, got back ${reply?.byteLength}`);
}

async function serial(size, count, maxMs = Infinity) {
  const payload = payloadOf(size);
  const samples = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const t0 = process.hrtime.bigint();
    await call(payload);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return samples;
}

async function pipelined(size, count, window, maxMs = Infinity) {
  const payload = payloadOf(size);
  const deadline = performance.now() + maxMs;
  let started = 0;
  let done = 0;
  const worker = async () => {
    while (started < count && performance.now() < deadline) {
      started++;
      await call(payload);
      done++;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: window }, worker));
  return { count: done, window, messagesPerSecond: done / (Number(process.hrtime.bigint() - t0) / 1e9) };
}

/**
 * What each further idle client costs once the library's code is loaded and
 * compiled: opens `count` more connections, makes one call on each, and
 * divides the settled heap and RSS they add by `count`.
 */
async function moreClients(count) {
  const before = settledMemory();
  const more = [];
  try {
    for (let i = 0; i < count; i++) {
      const client = await clients[mode](address, codec);
      more.push(client);
      const reply = await client.call(payloadOf(64));
      if (reply?.byteLength !== 64) throw new Error(`${mode}: extra client ${i} got back ${reply?.byteLength} bytes`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // let them go idle
    const after = settledMemory();
    return { clients: count, heapUsedBytes: (after.heapUsedBytes - before.heapUsedBytes) / count, rssBytes: (after.rssBytes - before.rssBytes) / count };
  } finally {
    await Promise.all(more.map((client) => client.close()));
  }
}

const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

if (rest.length > 0) {
  const [size, serialCount, pipelinedCount, window] = rest.map(Number);
  await check(size);
  await serial(size, Math.min(2000, serialCount)); // warm-up
  const { count, p50, p90, p99, perSecond } = summarize(await serial(size, serialCount));
  await pipelined(size, Math.min(10_000, pipelinedCount), window); // warm-up
  const throughput = await pipelined(size, pipelinedCount, window);
  await close();
  print({ serial: { count, p50, p90, p99, perSecond }, pipelined: throughput });
  process.exit(0);
}

process.stdout.write('ready\n');
const commands = createInterface({ input: process.stdin });
for await (const line of commands) {
  const [command, ...args] = line.trim().split(/\s+/);
  const n = args.map(Number);
  if (command === 'serial') {
    const [size, count, warmup, maxMs] = n;
    await check(size);
    await serial(size, warmup, maxMs / 4);
    print(summarize(await serial(size, count, maxMs)));
  } else if (command === 'pipelined') {
    const [size, count, warmup, window, maxMs] = n;
    await check(size);
    await pipelined(size, warmup, window, maxMs / 4);
    print(await pipelined(size, count, window, maxMs));
  } else if (command === 'mem') {
    print(memoryReport(bare, loaded));
  } else if (command === 'more') {
    print(await moreClients(n[0]));
  } else if (command === 'quit') {
    break;
  }
}
// stdin closing (the orchestrator went away) ends the client as "quit" does.
await close();
process.exit(0);
