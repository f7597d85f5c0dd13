// The two time bounds of issue 17's failure semantics, measured (tests only
// check the behaviour): a request nobody handles fails NO_HANDLER (target
// < 10 ms), and a caller's abort fires the remote handler's signal (target
// ≤ 50 ms). Each over a real nats-server on 127.0.0.1, next to its nats.js
// peer in the same run (a request to a subject nobody listens on), as p50 and
// p99 per round, with the spread over rounds.
//
//   node bench/nats/edges.mjs [--rounds 5] [--calls 300] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { startNatsServer } from '../lib/nats.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '300' }, json: { type: 'string' } } });
const rounds = Number(values.rounds);
const calls = Number(values.calls);

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
};
const ms = (ns) => Number(ns) / 1e6;

const server = await startNatsServer();
if (!server.available) {
  console.error(server.reason);
  process.exit(1);
}
const prefix = `edges${process.pid}`;
const transport = (name) => new NatsTransport({ servers: server.url, prefix, name });
const client = new MessageBus(transport('client'), { logger: silentLogger });
const service = new MessageBus(transport('service'), { logger: silentLogger });
let aborted = () => undefined;
let started = () => undefined;
service.handle(
  'slow',
  (_p, ctx) =>
    new Promise((resolve) => {
      ctx.signal.addEventListener('abort', () => (aborted(process.hrtime.bigint()), resolve(undefined)));
      started();
    }),
);
await service.start();
await client.start();
await service.transport.flush();
const nc = await connect({ servers: server.url });

const rows = { 'pipebus NO_HANDLER': [], 'nats.js no responders': [], 'pipebus abort → remote signal': [] };
for (let round = 0; round < rounds; round++) {
  const noHandler = [];
  const direct = [];
  const cancel = [];
  for (let i = 0; i < calls; i++) {
    let t = process.hrtime.bigint();
    await client.request('nobody.home', {}, { timeout: 60_000 }).catch((e) => {
      if (e.code !== 'NO_HANDLER') throw e;
    });
    noHandler.push(ms(process.hrtime.bigint() - t));
    t = process.hrtime.bigint();
    await nc.request(`${prefix}.nobody`, undefined, { timeout: 60_000 }).catch((e) => {
      if (!/no responders/i.test(String(e.message ?? e))) throw e;
    });
    direct.push(ms(process.hrtime.bigint() - t));
  }
  for (let i = 0; i < Math.ceil(calls / 3); i++) {
    const controller = new AbortController();
    const running = new Promise((resolve) => (started = resolve));
    const fired = new Promise((resolve) => (aborted = resolve));
    const call = client.request('slow', {}, { signal: controller.signal, timeout: 60_000 }).catch(() => undefined);
    await running;
    const t = process.hrtime.bigint();
    controller.abort();
    cancel.push(ms((await fired) - t));
    await call;
  }
  rows['pipebus NO_HANDLER'].push(summary(noHandler));
  rows['nats.js no responders'].push(summary(direct));
  rows['pipebus abort → remote signal'].push(summary(cancel));
}
await Promise.all([client.close(), service.close(), nc.close()]);
await server.stop();

const spread = (values) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
console.log(`nats-server ${server.version}, ${rounds} rounds × ${calls} calls (abort: ${Math.ceil(calls / 3)}), ms`);
for (const [name, perRound] of Object.entries(rows)) {
  console.log(`${name.padEnd(32)} p50 ${spread(perRound.map((r) => r.p50))}   p99 ${spread(perRound.map((r) => r.p99))}`);
}
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, platform: process.platform, server: server.version, rounds, calls, rows }, null, 2)}\n`);
}
