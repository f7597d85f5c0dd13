// Instructions per delivered event and per request/response round trip, on
// the bus's own path (no sockets): what a subscriber process pays per event,
// and what a request pays, counted by valgrind rather than timed, so that the
// figure does not move with the neighbours on a shared machine.
//
// Rows (each in its own block, rows in turn, round after round, as
// bench/core/callgrind.mjs does; `process.cpuUsage()` marks the blocks):
//   deliver      a subscriber bus receiving ready-made 64 B event frames
//                ([Event, 0, 'bench.data', Uint8Array(64)]) straight from its
//                transport's emitFrame, one `bench.>` subscription that reads
//                the payload: the inbound path only (frame → Inbox → decode →
//                EventRouter → rx Subscriber.next)
//   deliver-buf  the same frames as Buffers (as a stream transport hands
//                them over: views into its reads)
//   deliver-8    the same frames, 8 subscriptions (`bench.>`, `bench.*`,
//                `bench.data`, … as 8 apps in one process would hold)
//   publish      a bus publishing 64 B events to nobody but its transport
//   request-64   serial round trips of a 64 B Uint8Array (echo handler), two
//                buses on an in-memory loop, as bench/core's request rows
//   request-1k   the same with 1 KiB
//
// `--root DIR[,DIR…]`: count the builds in those checkouts (their
// packages/core/dist), one valgrind run each, back to back, so that a
// before/after pair is counted in one invocation.
// Not part of `pnpm bench`; asserts nothing; prints a table.
//
//   pnpm run build && node bench/core/callgrind-deliver.mjs [--root A,B] [--rounds 6]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WARM_UP = 20_000;
const BLOCK = 5_000;
const ROWS = ['deliver', 'deliver-buf', 'deliver-8', 'publish', 'request-64', 'request-1k'];
const self = fileURLToPath(import.meta.url);
const here = resolve(dirname(self), '..', '..');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The measured process: builds every row from the core in `root`, warms each up, then runs the blocks. */
async function child(root, ids, rounds) {
  const core = await import(pathToFileURL(join(root, 'packages/core/dist/esm/index.js')).href);
  const kit = await import(pathToFileURL(join(root, 'packages/core/dist/esm/transport-kit/index.js')).href);
  const { MessageBus, silentLogger, msgpackCodec } = core;

  class Loop extends kit.Transport {
    capabilities = { duplex: true, broadcast: false, maxFrameSize: 1 << 24, reliable: true, ordered: true };
    other;
    constructor(id) {
      super();
      this.peer = { id };
    }
    async doStart() {}
    doSend(frame) {
      const other = this.other;
      if (other !== undefined) queueMicrotask(() => other.emitFrame({ data: frame, peer: this.peer }));
      return Promise.resolve();
    }
    async doClose() {}
  }
  const opts = { logger: silentLogger, defaultTimeout: Infinity };
  let sink = 0;
  const read = (event) => {
    sink += event.payload[0] + event.topic.length;
  };

  const payload = new Uint8Array(64).fill(7);
  const frame = kit.encodeMessageFrame({ kind: kit.Kind.Event, id: 0, name: 'bench.data', payload, headers: undefined }, msgpackCodec);
  const publisher = { id: 'publisher' };

  async function subscriberRow(patterns, asBuffer = false) {
    const t = new Loop('sub');
    const bus = new MessageBus(t, opts);
    for (const p of patterns) bus.subscribe(p).subscribe(read);
    await bus.start();
    // A copy per frame, as a transport hands each its own bytes.
    if (asBuffer) {
      return (n) => {
        for (let i = 0; i < n; i++) t.emitFrame({ data: Buffer.from(frame), peer: publisher });
      };
    }
    return (n) => {
      for (let i = 0; i < n; i++) t.emitFrame({ data: frame.slice(), peer: publisher });
    };
  }
  async function publishRow() {
    const bus = new MessageBus(new Loop('pub'), opts);
    await bus.start();
    return async (n) => {
      for (let i = 0; i < n; i++) bus.publish('bench.data', payload);
      await bus.publish('bench.data', payload);
    };
  }
  async function requestRow(size) {
    const a = new Loop('client');
    const b = new Loop('server');
    a.other = b;
    b.other = a;
    const server = new MessageBus(b, opts);
    const client = new MessageBus(a, opts);
    server.handle('bench.echo', (p) => p);
    await server.start();
    await client.start();
    const body = new Uint8Array(size).fill(3);
    return async (n) => {
      for (let i = 0; i < n; i++) sink += (await client.request('bench.echo', body)).byteLength;
    };
  }
  const make = {
    deliver: () => subscriberRow(['bench.>']),
    'deliver-buf': () => subscriberRow(['bench.>'], true),
    'deliver-8': () => subscriberRow(['bench.>', 'bench.*', 'bench.data', '>', '*.data', 'bench.>', 'bench.data', '*.*']),
    publish: publishRow,
    'request-64': () => requestRow(64),
    'request-1k': () => requestRow(1024),
  };
  const runs = [];
  for (const id of ids) runs.push(await make[id]());
  for (const run of runs) await run(WARM_UP);
  globalThis.gc?.();
  const blocks = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < ids.length; k++) {
      const i = (k + r) % ids.length;
      process.cpuUsage(); // the block boundary callgrind dumps at
      await runs[i](BLOCK);
      blocks.push(ids[i]);
    }
  }
  process.cpuUsage();
  if (sink === 0) throw new Error('nothing was delivered');
  console.log(JSON.stringify(blocks));
}

/** One valgrind run over `root`'s build: per row, the instructions per event or round trip of each block. */
function count(root, ids, rounds) {
  const dir = mkdtempSync(join(tmpdir(), 'pipebus-cg-deliver-'));
  try {
    const out = join(dir, 'cg.out');
    const run = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--dump-before=uv_getrusage', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', '--expose-gc', self, '--child', root, ids.join(','), String(rounds)],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    if (run.status !== 0) throw new Error(`the callgrind run over ${root} failed (status ${run.status}):\n${run.stderr.slice(-4000)}`);
    const blocks = JSON.parse(run.stdout.trim().split('\n').pop());
    const counts = [];
    const dumps = readdirSync(dir).filter((f) => /^cg\.out\.\d+$/.test(f));
    for (const f of dumps) counts[Number(f.slice('cg.out.'.length))] = Number(/^summary: (\d+)$/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1]);
    if (dumps.length !== blocks.length + 1) throw new Error(`expected ${blocks.length + 1} dumps, found ${dumps.length}`);
    const per = new Map(ids.map((id) => [id, []]));
    // cg.out.1 is start-up and warm-up; cg.out.(k+2) is block k.
    blocks.forEach((id, k) => per.get(id).push(counts[k + 2] / BLOCK));
    return per;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4].split(','), Number(process.argv[5]));
} else {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? fallback : process.argv[i + 1];
  };
  const roots = arg('--root', here).split(',').map((r) => resolve(r));
  const rounds = Number(arg('--rounds', 6));
  const ids = arg('--rows', ROWS.join(',')).split(',');
  for (const id of ids) if (!ROWS.includes(id)) throw new Error(`unknown row '${id}'; rows are ${ROWS.join(', ')}`);
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('bench/core/callgrind-deliver: valgrind is not installed (apt-get install valgrind)');
    process.exit(2);
  }
  const k = (n) => Math.round(n).toLocaleString('en');
  console.log(`callgrind: ${rounds} rounds of ${BLOCK.toLocaleString('en')} per row after ${WARM_UP.toLocaleString('en')} to warm up; instructions per event (deliver, publish) or round trip (request), median (min–max)`);
  const results = roots.map((root) => ({ root, per: count(root, ids, rounds) }));
  for (const id of ids) {
    const cells = results.map(({ per }) => {
      const v = per.get(id);
      return `${k(median(v)).padStart(7)} (${k(Math.min(...v))}–${k(Math.max(...v))})`;
    });
    let line = `  ${id.padEnd(11)} ${cells.join('   ')}`;
    if (results.length > 1) {
      const a = median(results[0].per.get(id));
      const b = median(results[results.length - 1].per.get(id));
      line += `   ${(((b - a) / a) * 100).toFixed(1)} %`;
    }
    console.log(line);
  }
  if (results.length > 1) console.log(`  columns: ${roots.join('  |  ')}`);
}
