// bench/namedpipe: the bus over the named-pipe transport against raw node:net
// with the same framing, client and server in separate processes. Each
// system is run three times, interleaved, and the median of each figure is
// reported; ratios are computed from the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));

function runNode(script, args) {
  const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiters = [];
  const seen = [];
  lines.on('line', (line) => {
    seen.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    async firstLine() {
      while (seen.length === 0) {
        if (child.exitCode !== null) throw new Error(`${script} ${args.join(' ')} exited with ${child.exitCode}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          void exited.then(resolve);
        });
      }
      return seen.shift();
    },
  };
}

async function measure(system, size, counts) {
  const dir = mkdtempSync(join(os.tmpdir(), 'pbbench-'));
  const address = system.mode === 'bus' ? `pipe://bench-${process.pid}-${Math.random().toString(16).slice(2)}` : join(dir, 'raw.sock');
  const server = runNode('server.mjs', [system.mode, address, system.codec ?? '-']);
  if ((await server.firstLine()) !== 'ready') throw new Error(`${system.name} server did not start`);
  const client = runNode('client.mjs', [system.mode, address, system.codec ?? '-', String(size), String(counts.serial), String(counts.pipelined), '64']);
  const result = JSON.parse(await client.firstLine());
  await client.exited;
  server.child.kill('SIGTERM');
  await server.exited;
  return result;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function runNamedPipeBench({ quick = false } = {}) {
  const systems = [
    { name: 'raw node:net + msgpackr', mode: 'raw' },
    { name: 'pipebus (default codec)', mode: 'bus', codec: 'default' },
    { name: 'pipebus (compat codec)', mode: 'bus', codec: 'compat' },
  ];
  const counts = quick ? { serial: 3000, pipelined: 20_000 } : { serial: 20_000, pipelined: 200_000 };
  const rounds = quick ? 1 : 3;
  const results = [];
  for (const size of [64, 1024]) {
    const runs = new Map(systems.map((s) => [s.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const system of systems) runs.get(system.name).push(await measure(system, size, counts));
    }
    for (const system of systems) {
      const r = runs.get(system.name);
      results.push({
        system: system.name,
        payloadBytes: size,
        serial: { p50: median(r.map((x) => x.serial.p50)), p90: median(r.map((x) => x.serial.p90)), p99: median(r.map((x) => x.serial.p99)), perSecond: median(r.map((x) => x.serial.perSecond)) },
        pipelined: { window: 64, messagesPerSecond: median(r.map((x) => x.pipelined.messagesPerSecond)) },
      });
    }
    const raw = results.find((x) => x.system === systems[0].name && x.payloadBytes === size);
    for (const x of results.filter((y) => y.payloadBytes === size)) {
      x.ratioToRaw = { serialP50: x.serial.p50 / raw.serial.p50, pipelined: x.pipelined.messagesPerSecond / raw.pipelined.messagesPerSecond };
      process.stdout.write(
        `  ${String(size).padStart(5)} B  ${x.system.padEnd(26)} serial p50 ${x.serial.p50.toFixed(1).padStart(6)} µs  p99 ${x.serial.p99.toFixed(1).padStart(6)} µs` +
          `  pipelined ${Math.round(x.pipelined.messagesPerSecond).toLocaleString('en').padStart(8)} msg/s` +
          `  (x${x.ratioToRaw.serialP50.toFixed(2)} latency, x${x.ratioToRaw.pipelined.toFixed(2)} throughput vs raw)\n`,
      );
    }
  }
  return results;
}
