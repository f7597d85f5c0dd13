// bench/core: what the bus itself costs per request/response round trip.
//
// Two MessageBus instances talk over a loop transport that hands each frame
// to the other side on a microtask: no sockets, no copies, so what is
// measured is the bus (encode, route, correlate, decode, both ways).
// CPU time comes from process.cpuUsage(), so other load on the machine
// inflates wall time but not the figure we report.
import { MessageBus, msgpackCodec, msgpackCompatCodec, jsonCodec, silentLogger } from '@pipebus/core';
import { runContractRows } from './contract.mjs';
import { loop } from './loop.mjs';

const PAYLOADS = {
  'int': 42,
  'small-object': { id: 42, name: 'abc', ok: true },
  '1KiB-bytes': new Uint8Array(1024).fill(1),
};
const CODECS = { msgpack: msgpackCodec, 'msgpack-compat': msgpackCompatCodec, json: jsonCodec };

async function measure(codec, payload, { iterations, window }) {
  const [ct, st] = loop();
  const opts = { codec, logger: silentLogger, defaultTimeout: Infinity };
  const server = new MessageBus(st, opts);
  const client = new MessageBus(ct, opts);
  server.handle('echo', (p) => p);
  await server.start();
  await client.start();
  const run = async (n) => {
    if (window === 1) {
      for (let i = 0; i < n; i++) await client.request('echo', payload);
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        await client.request('echo', payload);
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  };
  await run(Math.min(20_000, iterations)); // warm-up: let the JIT settle
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run(iterations);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  await client.close();
  await server.close();
  return {
    iterations,
    window,
    cpuUsPerRoundTrip: (cpu.user + cpu.system) / iterations,
    wallUsPerRoundTrip: wallNs / 1000 / iterations,
    roundTripsPerSecond: Math.round(iterations / (wallNs / 1e9)),
  };
}

/**
 * The request rows (codec × payload × window, median of 3 runs each), then
 * the contract rows (bench/core/contract.mjs).
 */
export async function runCoreBench({ quick = false } = {}) {
  const iterations = quick ? 30_000 : 200_000;
  const results = [];
  for (const [codecName, codec] of Object.entries(CODECS)) {
    for (const [payloadName, payload] of Object.entries(PAYLOADS)) {
      for (const window of [1, 64]) {
        // Three runs, median reported: one run can catch a GC or a neighbour's burst.
        const runs = [];
        for (let r = 0; r < 3; r++) runs.push(await measure(codec, payload, { iterations, window }));
        runs.sort((x, y) => x.cpuUsPerRoundTrip - y.cpuUsPerRoundTrip);
        const median = runs[1];
        results.push({ codec: codecName, payload: payloadName, ...median });
        process.stdout.write(
          `  ${codecName.padEnd(15)} ${payloadName.padEnd(13)} window ${String(window).padStart(2)}  ` +
            `${median.cpuUsPerRoundTrip.toFixed(2).padStart(6)} µs CPU/rt  ${median.roundTripsPerSecond.toLocaleString('en').padStart(9)} rt/s\n`,
        );
      }
    }
  }
  return { results, contract: await runContractRows({ quick }) };
}
