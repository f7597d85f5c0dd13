// What `pnpm bench` shows and keeps: a progress line while it runs, the
// targets of the side-by-side comparison checked against one run's ratios,
// and an SVG chart of the headline figures for the README.
import { MIN_ROUNDS, sizeLabel } from './lib/stats.mjs';

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
 * A paired ratio ({median, min, max, rounds}, see lib/stats.mjs pairedRatio)
 * as a target's value and verdict: "1.23× (rounds 1.10–1.31, n=3)" and
 * `meets(median)`; with fewer than MIN_ROUNDS rounds (quick runs have one) the
 * spread is unknown, so no figure is given and the target is not judged.
 */
export function judgeRatio(ratio, meets, { digits = 2, minRounds = MIN_ROUNDS } = {}) {
  if (!ratio) return { value: 'not measured', met: null };
  if (ratio.rounds < minRounds) return { value: `not settled (${ratio.rounds} round${ratio.rounds === 1 ? '' : 's'}, ${minRounds} needed: spread unknown)`, met: null };
  const f = (n) => n.toFixed(digits);
  return { value: `${f(ratio.median)}× (rounds ${f(ratio.min)}–${f(ratio.max)}, n=${ratio.rounds})`, met: meets(ratio.median) };
}

/**
 * The targets of issue 18 (and what still holds of the side-by-side issue,
 * issue 16's contract overhead and issue 17's NATS rows), checked on ratios
 * from this run only (absolute figures from different runs are not
 * comparable on a shared VM), each paired by round and given with its spread.
 * Each check is {target, value, met}; met is null where the systems did not
 * run or the run cannot settle the ratio (see judgeRatio).
 */
export function checkTargets({ reqrep, pubsub, core }) {
  const checks = [];
  const at = (system, size = 64) => reqrep?.results?.find((r) => r.system === system && r.payloadBytes === size);
  const add = (target, value, met) => checks.push({ target, value, met });
  const judged = (target, ratio, meets) => {
    const { value, met } = judgeRatio(ratio, meets);
    add(target, value, met);
  };
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

  // Issue 18: pub/sub to 8 subscribers at 64 B, every message decoded. A row
  // that lost messages cannot meet a target; a peer that lost some is no fair
  // comparison, so the check is left unjudged.
  const fan = (...ids) => {
    for (const id of ids) {
      const row = pubsub?.results?.find((r) => r.system === id && r.payloadBytes === 64 && r.subscribers === 8);
      if (row) return row;
    }
    return undefined;
  };
  const lostIn = (row) => (row?.lostPerRun ?? [row?.lost ?? 0]).reduce((a, b) => a + b, 0);
  const fanTarget = (target, ours, peer, bound) => {
    const row = fan(...ours);
    const other = fan(peer);
    if (!row || !other || row.error || other.error) return add(target, 'not measured', null);
    const { value, met } = judgeRatio(row.ratioTo?.[peer], (r) => r >= bound);
    if (lostIn(row) > 0) return add(target, `${value}; ${row.system} lost ${lostIn(row)} messages`, false);
    if (lostIn(other) > 0) return add(target, `${value}; ${peer} lost ${lostIn(other)} messages: no fair comparison`, null);
    add(target, value, met);
  };
  fanTarget('hub topology (relay hub, publisher and subscribers its clients) to 8 subscribers ≥ 1.2× nats.js direct delivered msg/s (64 B)', ['pipebus-hub'], 'nats', 1.2);
  fanTarget('hub topology to 8 subscribers ≥ 1.5× lossless zeromq (noDrop) delivered msg/s (64 B)', ['pipebus-hub'], 'zeromq-nodrop', 1.5);
  fanTarget('publisher-as-server (interest routing) to 8 subscribers ≥ 1.3× nats.js direct delivered msg/s (64 B)', ['pipebus-server', 'pipebus-namedpipe'], 'nats', 1.3);
  fanTarget('mailslot://group to 8 listeners ≥ 1.0× nats.js direct delivered msg/s (64 B)', ['pipebus-mailslot'], 'nats', 1.0);

  // Issue 18: request/response against raw node:net + msgpackr, paired by round.
  for (const size of [64, 1024]) {
    const vsRaw = at('pipebus', size)?.ratioTo?.['raw-net'];
    judged(`pipelined msg/s ≥ 1.0× raw node:net + msgpackr (${sizeLabel(size)})`, vsRaw?.pipelined, (r) => r >= 1.0);
    judged(`serial p50 ≤ 1.05× raw node:net + msgpackr (${sizeLabel(size)})`, vsRaw?.serialP50, (r) => r <= 1.05);
  }
  // The side-by-side issue's rows against the other libraries, still meaningful (request/response, paired by round).
  for (const peer of ['node-ipc', 'zeromq', 'nats']) {
    const vs = at('pipebus')?.ratioTo?.[peer];
    judged(`serial p50 below ${peer} (64 B; pipebus ÷ ${peer} < 1)`, vs?.serialP50, (r) => r < 1);
    if (peer !== 'nats') judged(`pipelined msg/s ≥ 3× ${peer} (64 B)`, vs?.pipelined, (r) => r >= 3);
  }
  // Issue 17: pipebus over NATS against nats.js direct on the same nats-server.
  const overNats = at('pipebus-nats')?.ratioToNatsDirect;
  judged('pipebus over NATS: serial p50 ≤ 1.15× nats.js direct (64 B)', overNats?.serialP50, (r) => r <= 1.15);
  judged('pipebus over NATS: pipelined msg/s ≥ 0.85× nats.js direct (64 B)', overNats?.pipelined, (r) => r >= 0.85);
  for (const subscribers of [4, 8]) {
    const row = pubsub?.results?.find((r) => r.system === 'pipebus-nats' && r.payloadBytes === 64 && r.subscribers === subscribers);
    judged(`pipebus over NATS: fan-out to ${subscribers} subscribers ≥ 0.85× nats.js direct delivered msg/s (64 B)`, row?.ratioToNatsDirect, (r) => r >= 0.85);
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
  const firstTarget = 'library code + first idle connected client ≤ 1.5 MB of heap';
  const eachTarget = 'each further idle connected client < 1 MB of heap';
  if (added !== undefined) {
    add(
      firstTarget,
      `${mbOf(added.total)} MB = library code ${mbOf(added.code)} + one idle connection ${mbOf(added.connection)}` +
        (floor !== undefined ? ` (raw node:net + msgpackr: ${mbOf(floor.total)} = ${mbOf(floor.code)} + ${mbOf(floor.connection)})` : ''),
      added.total <= 1.5e6,
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
  'pipebus-server': '#1565c0',
  'pipebus-namedpipe': '#1565c0',
  'pipebus-hub': '#0d47a1',
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
  const fan = (result.suites.pubsub?.results ?? []).filter((r) => r.payloadBytes === 64 && r.subscribers === 8 && !r.error);
  if (fan.length > 0) {
    panels.push([
      'Pub/sub to 8 subscriber processes, every message decoded: delivered messages/s at 64 B',
      'msg/s',
      fan.map((r) => ({ label: r.system, system: r.system, value: r.deliveredPerSecond, note: r.lost > 0 ? `(${((r.lost / (r.published * r.subscribers)) * 100).toFixed(0)}% lost)` : '' })),
    ]);
    const withCpu = fan.filter((r) => r.cpuPerDeliveredUs != null);
    if (withCpu.length > 0) {
      panels.push([
        'Pub/sub to 8 subscribers: CPU of all processes per delivered message at 64 B (lower is better)',
        'µs',
        withCpu.map((r) => ({ label: r.system, system: r.system, value: r.cpuPerDeliveredUs })),
      ]);
    }
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

/**
 * Pub/sub: one row per system and payload, delivered msg/s to 1/4/8
 * subscribers with losses and the CPU of all the run's processes per
 * delivered message; under each pipebus row its ratios to nats.js direct and
 * lossless zeromq, paired by round: median (min–max).
 */
export function printPubSub(result) {
  for (const s of result.systems ?? []) if (!s.available) console.log(`  ${s.id}: not available (${s.reason})`);
  const rows = result.results ?? [];
  const fanouts = [...new Set(rows.map((r) => r.subscribers))].sort((a, b) => a - b);
  const width = 30;
  console.log(`  ${'payload'.padStart(7)}  ${'system'.padEnd(18)}${fanouts.map((n) => `${n} sub${n > 1 ? 's' : ''}`.padStart(width)).join('')}   (delivered msg/s, all subscribers · CPU µs of all processes per delivered msg)`);
  const keys = [...new Set(rows.map((r) => `${r.payloadBytes}|${r.system}`))];
  const find = (system, size, n) => rows.find((x) => x.system === system && String(x.payloadBytes) === String(size) && x.subscribers === n);
  for (const key of keys) {
    const [size, system] = key.split('|');
    const cells = fanouts.map((n) => {
      const r = find(system, size, n);
      if (!r) return '-'.padStart(width);
      if (r.error) return 'failed'.padStart(width);
      const lost = r.lost > 0 ? ` (${Math.round((r.lost / (r.lost + r.delivered)) * 100)}% lost)` : '';
      const cpu = r.cpuPerDeliveredUs != null ? ` · ${r.cpuPerDeliveredUs.toFixed(1)}` : '';
      return `${count(r.deliveredPerSecond)}${lost}${cpu}`.padStart(width);
    });
    console.log(`  ${sizeLabel(Number(size)).padStart(7)}  ${system.padEnd(18)}${cells.join('')}`);
    for (const peer of ['nats', 'zeromq-nodrop']) {
      const ratios = fanouts.map((n) => find(system, size, n)?.ratioTo?.[peer]);
      if (!ratios.some(Boolean)) continue;
      // One round gives no spread: such a ratio is not printed (see judgeRatio).
      const text = ratios.map((r) => (!r ? '-' : r.rounds < MIN_ROUNDS ? `not settled (${r.rounds} round${r.rounds === 1 ? '' : 's'})` : `x${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`).padStart(width));
      console.log(`  ${''.padStart(7)}  ${`  vs ${peer}`.padEnd(18)}${text.join('')}`);
    }
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
