// Client for bench/namedpipe: serial latency percentiles, then pipelined
// throughput with a window of requests in flight. Prints one JSON line.
//   node client.mjs bus ADDRESS CODEC SIZE SERIAL PIPELINED WINDOW
//   node client.mjs raw PATH - SIZE SERIAL PIPELINED WINDOW
import net from 'node:net';
import { Packr } from 'msgpackr';
import { MessageBus, msgpackCodec, msgpackCompatCodec, silentLogger } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';

const [mode, address, codecName, sizeText, serialText, pipelinedText, windowText] = process.argv.slice(2);
const payload = new Uint8Array(Number(sizeText)).fill(7);
const serialCount = Number(serialText);
const pipelinedCount = Number(pipelinedText);
const window = Number(windowText);

/** A request function: resolves when the echo comes back. */
let call;
let close;
if (mode === 'bus') {
  const codec = codecName === 'compat' ? msgpackCompatCodec : msgpackCodec;
  const bus = new MessageBus(new NamedPipeClient({ address, connectTimeout: 5000, logger: silentLogger }), { codec, logger: silentLogger, defaultTimeout: Infinity });
  await bus.start();
  call = () => bus.request('echo', payload);
  close = () => bus.close();
} else {
  const packr = new Packr({ useRecords: false });
  const socket = net.connect(address);
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const pending = new Map();
  let nextId = 1;
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let offset = 0;
    while (buffered.length - offset >= 4) {
      const length = buffered.readUInt32BE(offset);
      if (buffered.length - offset - 4 < length) break;
      const [id, value] = packr.unpack(buffered.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
      const resolve = pending.get(id);
      pending.delete(id);
      resolve(value);
    }
    buffered = buffered.subarray(offset);
  });
  call = () =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      const body = packr.pack([id, payload]);
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(body.length);
      socket.cork();
      socket.write(header);
      socket.write(body);
      process.nextTick(() => socket.uncork());
    });
  close = async () => socket.destroy();
}

async function serial(count) {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await call();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return samples;
}

async function pipelined(count) {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await call();
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: window }, worker));
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
await serial(Math.min(2000, serialCount)); // warm-up
const samples = (await serial(serialCount)).sort();
await pipelined(Math.min(10_000, pipelinedCount)); // warm-up
const throughput = await pipelined(pipelinedCount);
await close();
console.log(
  JSON.stringify({
    serial: { count: serialCount, p50: pct(samples, 50), p90: pct(samples, 90), p99: pct(samples, 99), perSecond: 1e6 / (samples.reduce((a, b) => a + b, 0) / samples.length) },
    pipelined: { count: pipelinedCount, window, messagesPerSecond: throughput },
  }),
);
