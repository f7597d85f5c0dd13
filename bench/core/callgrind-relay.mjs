// What a relay hub (or a publishing NamedPipeServer) spends per delivered
// event, in instructions: on a shared, noisy machine the CPU µs of a fan-out
// move between runs by more than the changes being judged; valgrind's counts
// do not depend on the neighbours.
//
// The measured process is the hub alone (`new MessageBus(server, { relay: true })`)
// or the publishing server alone, under `valgrind --tool=callgrind
// --dump-before=uv_getrusage`. Its peers are raw framed sockets in this
// process (no bus): SUBSCRIBERS sinks that read and count bytes, and, for the
// hub, a feeder that writes pre-encoded 64-byte events as fast as the hub
// reads them. After WARM events the child calls process.cpuUsage() (a dump
// boundary), relays or publishes EVENTS more, and calls it again: the dump
// between the two is the measured window. Prints instructions per delivered
// event (EVENTS × SUBSCRIBERS deliveries); with several roots (a build of
// main and of a branch, say) it runs each in turn, so one run compares them.
// Not part of `pnpm bench`; asserts nothing.
//
//   pnpm run build && node bench/core/callgrind-relay.mjs [hub|server] [--root DIR[,DIR…]] [--events N] [--rounds R]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
const SUBSCRIBERS = 8;
const WARM = 20_000;
const PAYLOAD = 64;

/** A package's ESM entry as built in the repository at `root`. */
async function load(root, name) {
  const path = createRequire(join(root, 'bench', 'package.json')).resolve(name).replace('/dist/commonjs/', '/dist/esm/');
  return import(pathToFileURL(path).href);
}

if (process.argv[2] === '--child') {
  const [, , , root, mode, address, eventsText] = process.argv;
  const { MessageBus, silentLogger } = await load(root, '@pipebus/core');
  const { NamedPipeServer } = await load(root, '@pipebus/transport-namedpipe');
  // No subscriber may be dropped for falling behind while valgrind slows this process: the bound is not what is measured.
  const server = new NamedPipeServer({ address, logger: silentLogger, maxPendingSendBytes: 1 << 30 });
  const bus = new MessageBus(server, { relay: mode === 'hub', logger: silentLogger, localDelivery: false });
  let peers = 0;
  let allThere;
  const ready = new Promise((resolve) => (allThere = resolve));
  server.peers$.subscribe((e) => {
    peers += e.type === 'connected' ? 1 : -1;
    if (peers >= SUBSCRIBERS + (mode === 'hub' ? 1 : 0)) allThere();
  });
  await bus.start();
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const order = async () => (await lines.next()).value;
  console.log('listening');
  await ready;
  const payload = Buffer.alloc(PAYLOAD, 7);
  // 64 publishes in flight, as bench/pubsub's publisher.
  const publish = async (count, topic) => {
    const ring = new Array(64);
    for (let i = 0; i < count; i++) {
      if (i >= 64) await ring[i % 64];
      ring[i % 64] = bus.publish(topic, payload);
    }
    await Promise.all(ring.slice(0, Math.min(64, count)));
  };
  if (mode === 'server') await publish(WARM, 'bench.warm');
  console.log('warm');
  await order(); // "mark": the hub's feeder has delivered its warm-up, or the server published its own
  process.cpuUsage();
  if (mode === 'server') await publish(Number(eventsText), 'bench.data');
  console.log('marked');
  await order(); // "end": every sink has every event
  process.cpuUsage();
  await bus.close();
  process.exit(0);
}

/** The frame a pipebus publisher sends for `publish(topic, Buffer(64))`, behind its length prefix. */
function wireEvent(topic) {
  const t = Buffer.from(topic);
  const frame = Buffer.concat([Buffer.from([0x10, 0x00, 0x94, 0x04, 0x00, 0xa0 | t.length]), t, Buffer.from([0xc4, PAYLOAD]), Buffer.alloc(PAYLOAD, 7)]);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(frame.length);
  return Buffer.concat([prefix, frame]);
}

/** A framed client: takes the server's 4-byte greeting, sends the empty hello frame; counts the bytes after. */
function connect(path, onBytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    socket.once('error', reject);
    let greeted = false;
    socket.on('data', (chunk) => {
      if (!greeted) {
        greeted = true;
        chunk = chunk.subarray(4);
        socket.write(Buffer.alloc(4));
        resolve(socket);
      }
      if (chunk.length > 0) onBytes(chunk.length);
    });
  });
}

/** Writes `count` copies of `one` in 64 KiB chunks, waiting for 'drain' (the hub's reads are the pace). */
async function feed(socket, one, count) {
  const per = Math.floor(65536 / one.length);
  const chunk = Buffer.concat(new Array(per).fill(one));
  for (let left = count; left > 0; left -= per) {
    const k = Math.min(per, left);
    if (!socket.write(k === per ? chunk : chunk.subarray(0, k * one.length))) await new Promise((resolve) => socket.once('drain', resolve));
  }
}

/** One measured run of the build at `root`: instructions in the window between the child's two marks. */
async function measure(root, mode, events) {
  const dir = mkdtempSync(join(tmpdir(), 'pipebus-cg-relay-'));
  const out = join(dir, 'cg.out');
  const address = join(dir, 'hub.sock');
  const child = spawn('valgrind', ['--tool=callgrind', '--dump-before=uv_getrusage', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', self, '--child', root, mode, address, String(events)], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const expect = async (word) => {
    const { value } = await lines.next();
    if (value !== word) throw new Error(`the measured process said ${JSON.stringify(value)}, not '${word}'`);
  };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await expect('listening');
    let counts = new Array(SUBSCRIBERS).fill(0);
    let want = Infinity;
    let reached;
    const sinks = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      sinks.push(await connect(address, (n) => {
        counts[i] += n;
        if (counts.every((c) => c >= want)) reached?.();
      }));
    }
    const warm = wireEvent('bench.warm');
    const data = wireEvent('bench.data');
    const until = (bytes) => new Promise((resolve) => {
      want = bytes;
      reached = resolve;
      if (counts.every((c) => c >= want)) resolve();
    });
    const feeder = mode === 'hub' ? await connect(address, () => {}) : undefined;
    await expect('warm');
    if (feeder) await Promise.all([feed(feeder, warm, WARM), until(WARM * warm.length)]);
    else await until(WARM * warm.length);
    counts = counts.map(() => 0);
    child.stdin.write('mark\n');
    await expect('marked');
    if (feeder) await Promise.all([feed(feeder, data, events), until(events * data.length)]);
    else await until(events * data.length);
    child.stdin.write('end\n');
    await exited;
    for (const s of [...sinks, feeder]) s?.destroy();
    // cg.out.1: start-up and warm-up; cg.out.2: the measured window.
    return Number(/^summary: (\d+)$/m.exec(readFileSync(`${out}.2`, 'utf8'))?.[1]) / (events * SUBSCRIBERS);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const mode = args[0] === 'server' ? 'server' : 'hub';
const roots = option('--root', join(dirname(self), '..', '..')).split(',');
const events = Number(option('--events', '50000'));
const rounds = Number(option('--rounds', '1'));
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench/core/callgrind-relay: valgrind is not installed (apt-get install valgrind)');
  process.exit(2);
}
console.log(`callgrind-relay: ${mode === 'hub' ? 'relay hub' : 'publishing NamedPipeServer'}, ${SUBSCRIBERS} raw subscribers, ${events.toLocaleString('en')} events of ${PAYLOAD} B after ${WARM.toLocaleString('en')}; instructions per delivered event`);
const results = new Map(roots.map((root) => [root, []]));
for (let r = 0; r < rounds; r++) {
  // Roots in turn within a round, so that a change of the machine's state touches each alike.
  for (const root of roots) results.get(root).push(Math.round(await measure(root, mode, events)));
}
for (const [root, values] of results) console.log(`  ${root}: ${values.map((v) => v.toLocaleString('en')).join(', ')}`);
