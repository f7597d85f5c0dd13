// What `pnpm bench` shows and keeps: a progress line while it runs, the
// targets of the side-by-side comparison checked against one run's ratios,
// and an SVG chart of the headline figures for the README.
import { sizeLabel } from './lib/stats.mjs';

/**
 * A one-line progress indicator: on a terminal it rewrites itself in place
 * (elapsed time, step count, label), elsewhere (CI logs) it prints one line
 * per step. Anything else written to stdout first clears the line, so suite
 * tables are never garbled by it.
 */
export function createProgress({ stream = process.stdout } = {}) {
  const tty = stream.isTTY === true;
  const started = Date.now();
  const write = stream.write.bind(stream);
  let shown = false;
  let steps = 0;
  if (tty) {
    stream.write = (chunk, ...rest) => {
      if (shown) {
        write('\r\x1b[K');
        shown = false;
      }
      return write(chunk, ...rest);
    };
  }
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s`;
  return {
    step(label) {
      steps++;
      if (tty) {
        write(`\r\x1b[K  [${elapsed()}] #${steps} ${label}`);
        shown = true;
      } else {
        write(`  [${elapsed()}] ${label}\n`);
      }
    },
    done() {
      if (tty) {
        if (shown) write('\r\x1b[K');
        stream.write = write;
      }
      shown = false;
      return (Date.now() - started) / 1000;
    },
  };
}

/**
 * The targets of the side-by-side issue (and issue 16's contract overhead,
 * from bench/core), checked on ratios and deltas from this run only
 * (absolute figures from different runs are not comparable on a shared VM).
 * Each check is {target, value, met} with value a readable figure; a check
 * whose systems did not run is reported with met: null.
 */
export function checkTargets({ reqrep, pubsub, core }) {
  const checks = [];
  const at = (system, size = 64) => reqrep?.results?.find((r) => r.system === system && r.payloadBytes === size);
  const add = (target, value, met) => checks.push({ target, value, met });
  // Issue 16: the delta is paired by round (bench/core/contract.mjs), so the
  // median is of deltas taken a second apart, not of two separate medians.
  const typed = core?.contract?.results?.find((r) => r.row === 'contract');
  const contractTarget = 'contract call without validation ≤ 0.3 µs CPU more per round trip than bus.request';
  if (typed?.deltaVsRequestUs) {
    const d = typed.deltaVsRequestUs;
    const sign = (n) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(2)}`;
    const middle = d.p25 === undefined ? '' : `, middle half of rounds ${sign(d.p25)}…${sign(d.p75)}`;
    add(contractTarget, `${sign(d.median)} µs (paired by round${middle}, all ${sign(d.min)}…${sign(d.max)}; ${typed.ratioVsRequest.toFixed(2)}×)`, d.median <= 0.3);
  } else {
    add(contractTarget, 'not measured', null);
  }
  const bus = at('pipebus');
  const raw = at('raw-net');
  if (bus && raw) {
    const serial = bus.serial.p50 / raw.serial.p50;
    add('serial p50 ≤ 1.3× raw node:net (64 B)', `${serial.toFixed(2)}×`, serial <= 1.3);
    const piped = bus.pipelined.messagesPerSecond / raw.pipelined.messagesPerSecond;
    add('pipelined msg/s ≥ 0.8× raw node:net (64 B)', `${piped.toFixed(2)}×`, piped >= 0.8);
  } else {
    add('pipebus vs raw node:net', 'not measured', null);
  }
  for (const peer of ['node-ipc', 'zeromq', 'nats']) {
    const other = at(peer);
    if (!bus || !other) {
      add(`serial p50 below ${peer}`, 'not measured', null);
      continue;
    }
    add(`serial p50 below ${peer} (64 B)`, `${bus.serial.p50.toFixed(1)} vs ${other.serial.p50.toFixed(1)} µs`, bus.serial.p50 < other.serial.p50);
    if (peer !== 'nats') {
      const ratio = bus.pipelined.messagesPerSecond / other.pipelined.messagesPerSecond;
      add(`pipelined msg/s ≥ 3× ${peer} (64 B)`, `${ratio.toFixed(2)}×`, ratio >= 3);
    }
  }
  const fan = (system) => pubsub?.results?.find((r) => r.system === system && r.payloadBytes === 64 && r.subscribers === 8);
  const ours = fan('pipebus-namedpipe');
  for (const peer of ['zeromq', 'nats']) {
    const other = fan(peer);
    if (!ours || !other) {
      add(`pub/sub fan-out to 8 ahead of ${peer}`, 'not measured', null);
      continue;
    }
    add(
      `pub/sub delivered msg/s to 8 subscribers ahead of ${peer} (64 B)`,
      `${Math.round(ours.deliveredPerSecond).toLocaleString('en')} vs ${Math.round(other.deliveredPerSecond).toLocaleString('en')}`,
      ours.deliveredPerSecond > other.deliveredPerSecond,
    );
  }
  // Issue 17: pipebus over NATS against nats.js direct on the same nats-server,
  // median of the per-round ratios (min–max over rounds beside it).
  const spread = (r, digits = 2) => `${r.median.toFixed(digits)}× (rounds ${r.min.toFixed(digits)}–${r.max.toFixed(digits)}, n=${r.rounds})`;
  const overNats = at('pipebus-nats')?.ratioToNatsDirect;
  const natsRow = (target, ratio, met) => (ratio ? add(target, spread(ratio), met(ratio.median)) : add(target, 'not measured', null));
  natsRow('pipebus over NATS: serial p50 ≤ 1.15× nats.js direct (64 B)', overNats?.serialP50, (r) => r <= 1.15);
  natsRow('pipebus over NATS: pipelined msg/s ≥ 0.85× nats.js direct (64 B)', overNats?.pipelined, (r) => r >= 0.85);
  for (const subscribers of [4, 8]) {
    const row = pubsub?.results?.find((r) => r.system === 'pipebus-nats' && r.payloadBytes === 64 && r.subscribers === subscribers);
    natsRow(`pipebus over NATS: fan-out to ${subscribers} subscribers ≥ 0.85× nats.js direct delivered msg/s (64 B)`, row?.ratioToNatsDirect, (r) => r >= 0.85);
  }
  // A whole Node process has ~3 MB of heap before any library, so the target is
  // read two ways. Strictly, as what pipebus adds to a process: the heap of
  // its loaded code plus one idle connected client (after a few hundred
  // requests, so with the code those compiled); raw node:net + msgpackr is
  // printed beside it. And per client: what each further idle connected client
  // holds once the code is loaded, which is what an app with many clients pays.
  const idle = reqrep?.memory?.find((m) => m.system === 'pipebus');
  const rawIdle = reqrep?.memory?.find((m) => m.system === 'raw-net');
  const parts = (side) =>
    side?.loadedHeapUsedBytes != null
      ? { total: side.heapUsedBytes - side.bareHeapUsedBytes, code: side.loadedHeapUsedBytes - side.bareHeapUsedBytes, connection: side.heapUsedBytes - side.loadedHeapUsedBytes }
      : undefined;
  const added = parts(idle?.client);
  const floor = parts(rawIdle?.client);
  const mbOf = (bytes) => (bytes / 1e6).toFixed(2);
  const firstTarget = 'idle connected client adds < 1 MB of heap (library code + first client)';
  const eachTarget = 'each further idle connected client < 1 MB of heap';
  if (added !== undefined) {
    add(
      firstTarget,
      `${mbOf(added.total)} MB = library code ${mbOf(added.code)} + one idle connection ${mbOf(added.connection)}` +
        (floor !== undefined ? ` (raw node:net + msgpackr: ${mbOf(floor.total)} = ${mbOf(floor.code)} + ${mbOf(floor.connection)})` : ''),
      added.total < 1e6,
    );
  } else {
    add(firstTarget, 'not measured', null);
  }
  const each = idle?.perClient;
  if (each !== undefined) {
    const kbOf = (bytes) => (bytes / 1e3).toFixed(1);
    const peers = (reqrep?.memory ?? []).filter((m) => m.system !== 'pipebus' && m.perClient).map((m) => `${m.system} ${kbOf(m.perClient.heapUsedBytes)}`);
    add(
      eachTarget,
      `${kbOf(each.heapUsedBytes)} kB${peers.length > 0 ? ` (${peers.join(', ')} kB)` : ''}`,
      each.heapUsedBytes < 1e6,
    );
  } else {
    add(eachTarget, 'not measured', null);
  }
  return checks;
}

/** Prints the target checks as a short list. */
export function printTargets(checks) {
  console.log('\ntargets (ratios from this run)');
  for (const c of checks) {
    const mark = c.met === null ? '  -  ' : c.met ? ' met ' : 'MISSED';
    console.log(`  ${mark}  ${c.target}: ${c.value}`);
  }
}

// ------------------------------------------------------------------ chart

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const compact = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)} k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(n < 10 ? 1 : 0));

/** Systems in a fixed order with fixed colours, so every panel reads the same way. */
const PALETTE = {
  'c-unix': '#9e9e9e',
  'raw-net': '#616161',
  pipebus: '#1565c0',
  'pipebus-compat': '#42a5f5',
  'pipebus-namedpipe': '#1565c0',
  'pipebus-mailslot': '#42a5f5',
  'node-ipc': '#ef6c00',
  zeromq: '#2e7d32',
  'zeromq-nodrop': '#66bb6a',
  nats: '#6a1b9a',
  'pipebus-nats': '#ab47bc',
};
const colour = (system) => PALETTE[system] ?? '#8d6e63';

/** One horizontal bar panel: rows of {label, system, value, note?}. */
function panel(title, unit, rows, { x, y, width }) {
  const rowHeight = 20;
  const labelWidth = 190;
  const valueWidth = 80;
  const barMax = width - labelWidth - valueWidth;
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const parts = [`<text x="${x}" y="${y + 14}" class="title">${escape(title)}</text>`, `<text x="${x + width}" y="${y + 14}" class="unit" text-anchor="end">${escape(unit)}</text>`];
  rows.forEach((row, i) => {
    const top = y + 24 + i * rowHeight;
    const length = Math.max(1, (row.value / max) * barMax);
    parts.push(
      `<text x="${x + labelWidth - 6}" y="${top + 13}" class="label" text-anchor="end">${escape(row.label)}</text>`,
      `<rect x="${x + labelWidth}" y="${top + 3}" width="${length.toFixed(1)}" height="${rowHeight - 6}" rx="2" fill="${colour(row.system)}"/>`,
      `<text x="${x + labelWidth + length + 4}" y="${top + 13}" class="value">${escape(compact(row.value))}${row.note ? ` ${escape(row.note)}` : ''}</text>`,
    );
  });
  return { svg: parts.join('\n'), height: 24 + rows.length * rowHeight + 16 };
}

/**
 * The README chart: serial latency and pipelined throughput at 64 B, pub/sub
 * fan-out to 8 subscribers at 64 B, and the mailslot transport with and
 * without fragmentation. Built from one run's JSON.
 */
export function renderChart(result) {
  const width = 760;
  const panels = [];
  const reqrep = result.suites.reqrep?.results ?? [];
  const name = (id) => result.suites.reqrep?.systems?.find((s) => s.id === id)?.id ?? id;
  const at64 = reqrep.filter((r) => r.payloadBytes === 64);
  if (at64.length > 0) {
    panels.push(['Request/response, serial: p50 latency at 64 B (lower is better)', 'µs', at64.map((r) => ({ label: name(r.system), system: r.system, value: r.serial.p50 }))]);
    panels.push([
      'Request/response, 64 in flight: messages/s at 64 B (higher is better)',
      'msg/s',
      at64.filter((r) => r.pipelined).map((r) => ({ label: name(r.system), system: r.system, value: r.pipelined.messagesPerSecond })),
    ]);
  }
  const fan = (result.suites.pubsub?.results ?? []).filter((r) => r.payloadBytes === 64 && r.subscribers === 8);
  if (fan.length > 0) {
    panels.push([
      'Pub/sub to 8 subscriber processes: delivered messages/s at 64 B',
      'msg/s',
      fan.map((r) => ({ label: r.system, system: r.system, value: r.deliveredPerSecond, note: r.lost > 0 ? `(${((r.lost / (r.published * r.subscribers)) * 100).toFixed(0)}% lost)` : '' })),
    ]);
  }
  const slots = (result.suites.mailslot?.results ?? []).filter((r) => r.listeners === 1);
  if (slots.length > 0) {
    panels.push([
      'Mailslot transport, 1 listener: delivered messages/s',
      'msg/s',
      slots.map((r) => ({
        label: `${sizeLabel(r.payloadBytes)}, ${r.fragmentsPerMessage > 1 ? `${r.fragmentsPerMessage} fragments` : 'unfragmented'}`,
        system: r.fragmentsPerMessage > 1 ? 'pipebus-mailslot' : 'pipebus',
        value: r.deliveredPerSecond,
      })),
    ]);
  }
  let y = 46;
  const body = [];
  for (const [title, unit, rows] of panels) {
    if (rows.length === 0) continue;
    const p = panel(title, unit, rows, { x: 16, y, width: width - 32 });
    body.push(p.svg);
    y += p.height;
  }
  const heading = `pipebus bench, ${result.date.slice(0, 10)}: ${result.cpu ?? 'unknown CPU'}, ${result.cores} cores, Node ${result.node}${result.quick ? ' (quick run: rough figures)' : ''}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 8}" viewBox="0 0 ${width} ${y + 8}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    '<style>.title{font-size:13px;font-weight:600;fill:#212121}.unit{font-size:11px;fill:#757575}.label{font-size:12px;fill:#424242}.value{font-size:11px;fill:#424242}.head{font-size:14px;font-weight:700;fill:#212121}.sub{font-size:11px;fill:#757575}</style>',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="20" class="head">${escape(heading)}</text>`,
    `<text x="16" y="36" class="sub">Client and server in separate processes; medians of ${result.quick ? 1 : 3} runs; compare bars within one chart only.</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ tables

const count = (n) => (n == null ? '-' : Math.round(n).toLocaleString('en'));

/** Pub/sub: one row per system and payload, delivered msg/s to 1/4/8 subscribers, losses shown. */
export function printPubSub(result) {
  for (const s of result.systems ?? []) if (!s.available) console.log(`  ${s.id}: not available (${s.reason})`);
  const rows = result.results ?? [];
  const fanouts = [...new Set(rows.map((r) => r.subscribers))].sort((a, b) => a - b);
  console.log(`  ${'payload'.padStart(7)}  ${'system'.padEnd(18)}${fanouts.map((n) => `${n} sub${n > 1 ? 's' : ''}`.padStart(22)).join('')}   (delivered msg/s, all subscribers)`);
  const keys = [...new Set(rows.map((r) => `${r.payloadBytes}|${r.system}`))];
  for (const key of keys) {
    const [size, system] = key.split('|');
    const cells = fanouts.map((n) => {
      const r = rows.find((x) => x.system === system && String(x.payloadBytes) === size && x.subscribers === n);
      if (!r) return '-'.padStart(22);
      if (r.error) return 'failed'.padStart(22);
      const lost = r.lost > 0 ? ` (${Math.round((r.lost / (r.lost + r.delivered)) * 100)}% lost)` : '';
      return `${count(r.deliveredPerSecond)}${lost}`.padStart(22);
    });
    console.log(`  ${sizeLabel(Number(size)).padStart(7)}  ${system.padEnd(18)}${cells.join('')}`);
  }
  // pipebus over NATS against nats.js direct, per round: median (min–max).
  const sizes = [...new Set(rows.filter((r) => r.ratioToNatsDirect).map((r) => r.payloadBytes))];
  for (const size of sizes) {
    const cells = fanouts.map((n) => {
      const r = rows.find((x) => x.system === 'pipebus-nats' && x.payloadBytes === size && x.subscribers === n)?.ratioToNatsDirect;
      return (r ? `x${r.median.toFixed(2)}${r.rounds > 1 ? ` (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : ''}` : '-').padStart(22);
    });
    console.log(`  ${sizeLabel(size).padStart(7)}  ${'  vs nats.js direct'.padEnd(18)}${cells.join('')}`);
  }
}

/** Mailslot: one row per payload and frame size, messages/s published and delivered per listener count. */
export function printMailslot(result) {
  for (const r of result.results ?? []) {
    if (r.error) {
      console.log(`  ${sizeLabel(r.payloadBytes).padStart(6)} frame ${r.frameSize}: failed (${r.error})`);
      continue;
    }
    console.log(
      `  ${sizeLabel(r.payloadBytes).padStart(6)}  frame ${String(r.frameSize).padStart(5)} (${String(r.fragmentsPerMessage).padStart(2)} datagram${r.fragmentsPerMessage > 1 ? 's' : ' '}/msg)` +
        `  ${r.listeners} listener${r.listeners > 1 ? 's' : ' '}  published ${count(r.publishedPerSecond).padStart(8)} msg/s  delivered ${count(r.deliveredPerSecond).padStart(8)} msg/s  lost ${count(r.lost)}`,
    );
  }
}
