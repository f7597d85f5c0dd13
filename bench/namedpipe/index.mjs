// bench/namedpipe: the bus over the named-pipe transport against raw node:net
// with the same framing, client and server in separate processes. Each
// system is run three times, interleaved, and the median of each figure is
// reported; ratios are computed from the same run. The processes and the
// systems are bench/reqrep's (server.mjs / client.mjs there; the scripts here
// forward to them).
import { median } from '../lib/stats.mjs';
import { closePair, createSession, pipelined, serial } from '../reqrep/pair.mjs';

export async function runNamedPipeBench({ quick = false } = {}) {
  const systems = [
    { id: 'raw', name: 'raw node:net + msgpackr', mode: 'raw' },
    { id: 'bus', name: 'pipebus (default codec)', mode: 'bus', codec: 'default' },
    { id: 'bus-compat', name: 'pipebus (compat codec)', mode: 'bus', codec: 'compat' },
  ];
  const counts = quick ? { serial: 3000, pipelined: 20_000 } : { serial: 20_000, pipelined: 200_000 };
  const serialCounts = { count: counts.serial, warmup: Math.min(2000, counts.serial) };
  const pipelinedCounts = { count: counts.pipelined, warmup: Math.min(10_000, counts.pipelined), window: 64 };
  const rounds = quick ? 1 : 3;
  const sizes = [64, 1024];
  const results = [];
  const session = createSession();
  try {
    // runs.get(name)[round].get(size) = {serial, pipelined}
    const runs = new Map(systems.map((s) => [s.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const system of systems) {
        const pair = await session.open(system, session.address(system));
        try {
          const bySize = new Map();
          for (const size of sizes) {
            bySize.set(size, { serial: await serial(pair.client, size, serialCounts), pipelined: await pipelined(pair.client, size, pipelinedCounts) });
          }
          runs.get(system.name).push(bySize);
        } finally {
          await closePair(pair);
        }
      }
    }
    for (const size of sizes) {
      for (const system of systems) {
        const r = runs.get(system.name).map((run) => run.get(size));
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
  } finally {
    await session.close();
  }
  return results;
}
