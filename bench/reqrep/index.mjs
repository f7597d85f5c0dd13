// bench/reqrep: request/response side by side with what users would pick
// instead of pipebus, client and server always in separate processes, the same
// payload bytes for every system, each request echoed back.
//
// Per system and payload: serial latency (p50/p90/p99, req/s) and throughput
// with 64 requests in flight; each system is run three times, interleaved, and
// the median of each figure is reported (one round in quick mode). Before its
// first round, a fresh pair gives the memory of an idle connected client and
// its server after a few hundred requests and a GC. A system that cannot run reports {available:false, reason}
// and the suite carries on. Pipebus over NATS also gets its ratios to nats.js
// direct (same nats-server, same client library) paired round by round, with
// their spread: the targets of issue 17.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from '../lib/cbuild.mjs';
import { startNatsServer } from '../lib/nats.mjs';
import { MIN_ROUNDS, median, pairedRatio, sizeLabel } from '../lib/stats.mjs';
import { packageVersion } from '../lib/versions.mjs';
import { closePair, createSession, memoryOf, perClientMemoryOf, pipelined, serial } from './pair.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = [64, 1024, 64 * 1024];
const WINDOW = 64;
// Idle clients opened beside the measured one to find what each further client
// costs once the code is loaded: enough that the GC's noise (±50 KB) is small per client.
const MORE_CLIENTS = 50;

const SYSTEMS = [
  { id: 'c-unix', name: 'C ping-pong, unix socket (floor)', kind: 'c' },
  { id: 'raw-net', name: 'raw node:net + msgpackr', mode: 'raw' },
  { id: 'pipebus', name: 'pipebus, named pipe (default codec)', mode: 'bus', codec: 'default' },
  { id: 'pipebus-compat', name: 'pipebus, named pipe (compat codec)', mode: 'bus', codec: 'compat' },
  { id: 'node-ipc', name: 'node-ipc, unix socket (JSON messages)', mode: 'node-ipc' },
  { id: 'zeromq', name: 'zeromq DEALER/ROUTER, ipc://', mode: 'zeromq' },
  { id: 'nats', name: 'nats.js direct: request/reply, local nats-server', mode: 'nats' },
  { id: 'pipebus-nats', name: 'pipebus over NATS (transport-nats), the same nats-server', mode: 'bus-nats' },
];

// Counts are upper bounds; maxMs caps each measurement's wall time (warm-up: a quarter of it).
function countsFor(size, quick) {
  const big = size >= 16 * 1024;
  if (quick) {
    return {
      serial: { count: big ? 1000 : 3000, warmup: 200, maxMs: 120 },
      pipelined: { count: big ? 5000 : 50_000, warmup: 2000, window: WINDOW, maxMs: 120 },
    };
  }
  return {
    serial: { count: big ? 10_000 : 40_000, warmup: 1000, maxMs: 2000 },
    pipelined: { count: big ? 50_000 : 500_000, warmup: 5000, window: WINDOW, maxMs: 2000 },
  };
}


/** Which systems can run here, with versions; starts nats-server for the NATS one. */
async function prepare() {
  const info = new Map();
  const set = (id, fields) => info.set(id, { available: true, ...fields });
  const c = buildC(join(here, 'c', 'pingpong.c'));
  set('c-unix', c.error ? { available: false, reason: c.error } : { version: 'cc -O2', cPath: c.path });
  set('raw-net', { version: `node ${process.version}, msgpackr ${packageVersion('msgpackr')}` });
  const pipebus = `@pipebus/core ${packageVersion('@pipebus/core')}, @pipebus/transport-namedpipe ${packageVersion('@pipebus/transport-namedpipe')}`;
  set('pipebus', { version: pipebus });
  set('pipebus-compat', { version: pipebus });
  try {
    await import('node-ipc');
    set('node-ipc', { version: packageVersion('node-ipc') });
  } catch (error) {
    set('node-ipc', { available: false, reason: `node-ipc does not load: ${error.message}` });
  }
  try {
    const zmq = await import('zeromq');
    set('zeromq', { version: `zeromq.js ${packageVersion('zeromq')} (libzmq ${zmq.version})` });
  } catch (error) {
    set('zeromq', { available: false, reason: `zeromq does not load: ${error.message}` });
  }
  let nats;
  const natsJs = `@nats-io/transport-node ${packageVersion('@nats-io/transport-node')}`;
  try {
    await import('@nats-io/transport-node');
    nats = await startNatsServer();
    set('nats', nats.available ? { version: `${natsJs}, nats-server ${nats.version}` } : { available: false, reason: nats.reason });
  } catch (error) {
    set('nats', { available: false, reason: `nats: ${error.message}` });
  }
  try {
    await import('@pipebus/transport-nats');
    set(
      'pipebus-nats',
      nats?.available
        ? { version: `@pipebus/core ${packageVersion('@pipebus/core')}, @pipebus/transport-nats ${packageVersion('@pipebus/transport-nats')} (${natsJs}), nats-server ${nats.version}` }
        : { available: false, reason: info.get('nats').reason },
    );
  } catch (error) {
    set('pipebus-nats', { available: false, reason: `@pipebus/transport-nats does not load (built? pnpm run build): ${error.message}` });
  }
  return { info, nats: nats?.available ? nats : undefined };
}

/**
 * One round of one system over one connection: first (when asked) the idle
 * memory of the fresh pair after a few hundred requests, then every payload
 * size, serial then pipelined.
 */
async function runRound(session, system, natsUrl, quick, progress, withMemory, out) {
  const pair = await session.open(system, session.address(system, natsUrl));
  try {
    if (withMemory) {
      progress(`reqrep ${system.id} idle memory`);
      await serial(pair.client, 64, { count: 300, warmup: 0, maxMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50)); // let both sides go idle
      const isC = system.kind === 'c';
      out.memory = { system: system.id, client: await memoryOf(pair.client, isC), server: await memoryOf(pair.server, isC) };
      if (!isC) {
        progress(`reqrep ${system.id} ${MORE_CLIENTS} more idle clients`);
        out.memory.perClient = await perClientMemoryOf(pair.client, MORE_CLIENTS);
      }
    }
    for (const size of SIZES) {
      const counts = countsFor(size, quick);
      progress(`reqrep ${system.id} ${sizeLabel(size)} serial`);
      const s = await serial(pair.client, size, counts.serial);
      progress(`reqrep ${system.id} ${sizeLabel(size)} pipelined`);
      const p = await pipelined(pair.client, size, counts.pipelined);
      out.bySize.set(size, { serial: s, pipelined: p });
    }
  } finally {
    await closePair(pair);
  }
}

export async function runReqRepBench({ quick = false, progress = () => {} } = {}) {
  const session = createSession();
  let nats;
  try {
    const prepared = await prepare();
    nats = prepared.nats;
    const systems = SYSTEMS.map((s) => ({ ...s, ...prepared.info.get(s.id) }));
    // PIPEBUS_BENCH_SYSTEMS=raw-net,pipebus narrows a run to some systems (a
    // before/after of pipebus alone against its raw peer, say); all by default.
    const chosen = process.env.PIPEBUS_BENCH_SYSTEMS?.split(',').filter(Boolean);
    const runnable = systems.filter((s) => s.available && (!chosen || chosen.includes(s.id)));
    const rounds = quick ? 1 : 3;
    const runs = new Map(runnable.map((s) => [s.id, []]));
    const failures = new Map();
    const idle = new Map(); // system id → idle memory, taken in its first round that gets that far
    for (let round = 0; round < rounds; round++) {
      for (const system of runnable) {
        // What a failing round measured before it failed still counts.
        const run = { bySize: new Map(), memory: undefined };
        try {
          await runRound(session, system, nats?.url, quick, progress, !idle.has(system.id), run);
        } catch (error) {
          failures.set(system.id, [...(failures.get(system.id) ?? []), `round ${round + 1}: ${error.message}`]);
        }
        if (run.memory) idle.set(system.id, run.memory);
        runs.get(system.id).push(run.bySize);
      }
    }

    const results = [];
    for (const size of SIZES) {
      for (const system of runnable) {
        const r = runs.get(system.id).map((run) => run.get(size)).filter(Boolean);
        if (r.length === 0) continue;
        const mid = (pick) => median(r.map(pick));
        results.push({
          system: system.id,
          payloadBytes: size,
          serial: { p50: mid((x) => x.serial.p50), p90: mid((x) => x.serial.p90), p99: mid((x) => x.serial.p99), perSecond: mid((x) => x.serial.perSecond) },
          pipelined: { window: WINDOW, messagesPerSecond: mid((x) => x.pipelined.messagesPerSecond) },
          rounds: r.length,
        });
      }
      const raw = results.find((x) => x.system === 'raw-net' && x.payloadBytes === size);
      for (const x of results.filter((y) => y.payloadBytes === size)) {
        x.ratioToRawNet = raw
          ? { serialP50: x.serial.p50 / raw.serial.p50, pipelined: x.pipelined && x.pipelined.messagesPerSecond / raw.pipelined.messagesPerSecond }
          : null;
      }
      // pipebus over NATS against nats.js direct, round by round (the issue's targets).
      const byRound = (id, pick) => runs.get(id)?.map((run) => (run.get(size) ? pick(run.get(size)) : undefined)) ?? [];
      // pipebus (named pipe) against every other system, round by round: the
      // targets are read from these, each with its spread over the rounds.
      const ours = results.find((x) => x.system === 'pipebus' && x.payloadBytes === size);
      if (ours) {
        ours.ratioTo = {};
        for (const other of runnable.filter((s) => s.id !== 'pipebus')) {
          const ratio = (pick) => pairedRatio(byRound('pipebus', pick), byRound(other.id, pick)) ?? null;
          ours.ratioTo[other.id] = { serialP50: ratio((x) => x.serial.p50), pipelined: ratio((x) => x.pipelined?.messagesPerSecond) };
        }
      }
      const overNats = results.find((x) => x.system === 'pipebus-nats' && x.payloadBytes === size);
      if (overNats && runs.has('nats')) {
        const ratio = (pick) => pairedRatio(byRound('pipebus-nats', pick), byRound('nats', pick));
        overNats.ratioToNatsDirect = {
          serialP50: ratio((x) => x.serial.p50),
          serialP99: ratio((x) => x.serial.p99),
          pipelined: ratio((x) => x.pipelined?.messagesPerSecond),
        };
      }
    }

    const memory = runnable.map((system) => idle.get(system.id)).filter(Boolean);

    printTable(results, memory, systems);
    return {
      systems: systems.map(({ id, name, available, reason, version }) => {
        const failed = failures.get(id);
        const ran = results.some((x) => x.system === id);
        // A system left out on purpose is said to be, not reported as one that gave nothing.
        if (available && !ran && chosen && !chosen.includes(id)) return { id, name, available, skipped: 'not in PIPEBUS_BENCH_SYSTEMS', ...(version && { version }) };
        if (available && !ran) return { id, name, available: false, reason: failed?.join('; ') ?? 'no result', version };
        return { id, name, available, ...(reason && { reason }), ...(failed && { failures: failed }), ...(version && { version }) };
      }),
      results,
      memory,
    };
  } finally {
    await session.close();
    await nats?.stop();
  }
}

function printTable(results, memory, systems) {
  const fmt = (n, digits = 1) => (n == null ? '-' : n.toFixed(digits));
  // A paired ratio as "x0.98 (0.95–1.02)": median over rounds, then its range.
  const spread = (r) => (r ? `x${fmt(r.median, 2)}${r.rounds > 1 ? ` (${fmt(r.min, 2)}–${fmt(r.max, 2)})` : ''}` : '-');
  const int = (n) => (n == null ? '-' : Math.round(n).toLocaleString('en'));
  for (const s of systems.filter((x) => !x.available)) process.stdout.write(`  ${s.id}: not available (${s.reason})\n`);
  // Ratios from fewer than MIN_ROUNDS rounds (quick runs) say nothing about their spread: not printed.
  const fewest = Math.min(...results.map((x) => x.rounds));
  if (fewest < MIN_ROUNDS) process.stdout.write(`  (ratios to raw-net and nats.js direct not settled: ${fewest} round${fewest === 1 ? '' : 's'}, ${MIN_ROUNDS} needed)\n`);
  for (const size of SIZES) {
    for (const x of results.filter((y) => y.payloadBytes === size)) {
      process.stdout.write(
        `  ${sizeLabel(size).padStart(6)}  ${x.system.padEnd(15)} serial p50/p90/p99 ${fmt(x.serial.p50).padStart(7)} ${fmt(x.serial.p90).padStart(7)} ${fmt(x.serial.p99).padStart(7)} µs` +
          ` ${int(x.serial.perSecond).padStart(7)} req/s   pipelined ${int(x.pipelined?.messagesPerSecond).padStart(9)} msg/s` +
          (x.rounds >= MIN_ROUNDS && x.ratioToRawNet ? `   (x${fmt(x.ratioToRawNet.serialP50, 2)} p50, x${fmt(x.ratioToRawNet.pipelined, 2)} msg/s vs raw-net)` : '') +
          (x.rounds >= MIN_ROUNDS && x.ratioToNatsDirect ? `   (vs nats.js direct: p50 ${spread(x.ratioToNatsDirect.serialP50)}, msg/s ${spread(x.ratioToNatsDirect.pipelined)})` : '') +
          '\n',
      );
    }
  }
  const mb = (bytes) => (bytes == null ? '-' : (bytes / 1048576).toFixed(1));
  const kb = (bytes) => (bytes == null || Number.isNaN(bytes) ? '-' : `${Math.round(bytes / 1024)}`);
  // Heap a library's code adds (loaded − bare) and what one idle connection adds on top (idle − loaded).
  const split = (side) =>
    side.loadedHeapUsedBytes != null ? `  (code ${kb(side.loadedHeapUsedBytes - side.bareHeapUsedBytes).padStart(5)} KiB, connection ${kb(side.heapUsedBytes - side.loadedHeapUsedBytes).padStart(4)} KiB)` : '';
  for (const m of memory) {
    process.stdout.write(
      `  idle ${m.system.padEnd(15)} client rss ${mb(m.client.rssBytes).padStart(6)} MiB heap ${mb(m.client.heapUsedBytes).padStart(5)} MiB${split(m.client)}` +
        `   server rss ${mb(m.server.rssBytes).padStart(6)} MiB heap ${mb(m.server.heapUsedBytes).padStart(5)} MiB${split(m.server)}` +
        (m.perClient ? `   each further client heap ${kb(m.perClient.heapUsedBytes).padStart(3)} KiB rss ${kb(m.perClient.rssBytes).padStart(3)} KiB` : '') +
        '\n',
    );
  }
}
