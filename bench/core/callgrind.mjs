// What a contract call adds, in instructions rather than CPU time: on a
// shared, noisy machine CPU µs move between runs by more than the 0.3 µs the
// issue 16 target is about; instructions counted by valgrind do not depend on
// the neighbours.
//
// One child node runs under `valgrind --tool=callgrind --dump-before=uv_getrusage`
// with every row (bench/core/contract.mjs) open side by side, so that they
// share the JIT's state as in the CPU rows. After a warm-up it runs blocks of
// BLOCK serial round trips, the rows in turn, round after round, and calls
// process.cpuUsage() (libuv's uv_getrusage) between blocks: callgrind then
// writes the instructions counted since the last call, so each block is
// counted on its own. Per row: the median block over the rounds, with the
// spread, and the delta against the first row paired by round, so that a GC
// landing in one block moves that block, not the figure. V8 runs with
// --single-threaded: under valgrind its helper threads' waiting would be counted.
// The first row's CPU µs, measured here without valgrind, converts
// instructions to µs (assuming the contract layer's code runs at the bus's
// instructions per µs).
// Not part of `pnpm bench` (a few minutes under valgrind); asserts nothing.
// Writes bench/results/<date>-<platform>-callgrind.json.
//
//   pnpm run build && node bench/core/callgrind.mjs [rows=request,contract] [rounds=8]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractRows, openRow, serial } from './contract.mjs';

const WARM_UP = 10_000;
const BLOCK = 2_000;
const self = fileURLToPath(import.meta.url);

const rowById = (id) => {
  const row = contractRows().find((r) => r.id === id);
  if (row === undefined) throw new Error(`unknown row '${id}'; rows are ${contractRows().map((r) => r.id).join(', ')}`);
  return row;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (process.argv[2] === '--child') {
  // The measured process: open and warm up every row, then the blocks; prints which row each block was.
  const ids = process.argv[3].split(',');
  const rounds = Number(process.argv[4]);
  const open = [];
  for (const id of ids) open.push(await openRow(rowById(id)));
  for (const { call } of open) await serial(call, WARM_UP);
  globalThis.gc?.();
  const blocks = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < ids.length; k++) {
      const i = (k + r) % ids.length; // the first row of a round rotates, as in the CPU rows
      process.cpuUsage(); // the block boundary callgrind dumps at
      await serial(open[i].call, BLOCK);
      blocks.push(ids[i]);
    }
  }
  process.cpuUsage();
  for (const { close } of open) await close();
  console.log(JSON.stringify(blocks));
} else {
  const ids = (process.argv[2] ?? 'request,contract').split(',');
  const rounds = Number(process.argv[3] ?? 8);
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('bench/core/callgrind: valgrind is not installed (apt-get install valgrind)');
    process.exit(2);
  }
  ids.forEach(rowById);

  const dir = mkdtempSync(join(tmpdir(), 'pipebus-callgrind-'));
  let blocks;
  const counts = [];
  try {
    const out = join(dir, 'cg.out');
    const run = spawnSync('valgrind', ['--tool=callgrind', '--dump-before=uv_getrusage', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', '--expose-gc', self, '--child', ids.join(','), String(rounds)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (run.status !== 0) throw new Error(`the callgrind run failed (status ${run.status}):\n${run.stderr}`);
    blocks = JSON.parse(run.stdout.trim().split('\n').pop());
    // cg.out.1 is start-up and warm-up (up to the first boundary); cg.out.(k+2) is block k.
    const dumps = readdirSync(dir).filter((f) => /^cg\.out\.\d+$/.test(f));
    for (const f of dumps) counts[Number(f.slice('cg.out.'.length))] = Number(/^summary: (\d+)$/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1]);
    if (dumps.length !== blocks.length + 1) throw new Error(`expected ${blocks.length + 1} dumps, found ${dumps.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const perRoundTrip = new Map(ids.map((id) => [id, []]));
  blocks.forEach((id, k) => perRoundTrip.get(id).push(counts[k + 2] / BLOCK));

  // CPU µs of the first row on this machine now, to convert instructions to µs.
  const base = ids[0];
  const cpu = [];
  for (let r = 0; r < 3; r++) {
    const { call, close } = await openRow(rowById(base));
    await serial(call, WARM_UP);
    const cpu0 = process.cpuUsage();
    await serial(call, 200_000);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 200_000);
    await close();
  }
  const baseUs = median(cpu);
  const baseInstructions = median(perRoundTrip.get(base));
  const usPerInstruction = baseUs / baseInstructions;
  const k = (n) => Math.round(n).toLocaleString('en');
  const signed = (n) => `${n >= 0 ? '+' : '−'}${k(Math.abs(n))}`;
  const rows = {};
  console.log(`callgrind: ${rounds} rounds of ${BLOCK.toLocaleString('en')} serial round trips per row, after ${WARM_UP.toLocaleString('en')} to warm up; instructions per round trip`);
  for (const id of ids) {
    const values = perRoundTrip.get(id);
    let line = `  ${id.padEnd(18)} median ${k(median(values)).padStart(7)}  (${k(Math.min(...values))}–${k(Math.max(...values))})`;
    rows[id] = { instructionsPerRoundTrip: Math.round(median(values)), rounds: values.map(Math.round) };
    if (id !== base) {
      const deltas = values.map((x, i) => x - perRoundTrip.get(base)[i]);
      const d = median(deltas);
      Object.assign(rows[id], { deltaVsBase: Math.round(d), deltaVsBasePercent: Math.round((d / baseInstructions) * 1000) / 10, deltaVsBaseUs: Math.round(d * usPerInstruction * 1000) / 1000 });
      line +=
        `  vs ${base} ${signed(d)} (rounds ${signed(Math.min(...deltas))}…${signed(Math.max(...deltas))}), ${((d / baseInstructions) * 100).toFixed(1)} %` +
        ` ≈ ${(d * usPerInstruction).toFixed(3)} µs CPU`;
    }
    console.log(line);
  }
  console.log(`  conversion: ${base} ${baseUs.toFixed(2)} µs CPU per round trip here without valgrind (median of 3 × 200,000) → ${(1 / usPerInstruction / 1000).toFixed(2)} k instructions per µs`);
  const file = join(dirname(self), '..', 'results', `${new Date().toISOString().slice(0, 10)}-${process.platform}-callgrind.json`);
  mkdirSync(dirname(file), { recursive: true });
  const result = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, load: os.loadavg(), warmUp: WARM_UP, block: BLOCK, rounds, base, baseCpuUs: Math.round(baseUs * 1000) / 1000, rows };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  written to ${file}`);
}
