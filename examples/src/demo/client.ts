/**
 * The demo's client process: a request, a stream, a stream it cancels and a
 * request it cancels, over the named pipe. Exits 0 when every answer was
 * the one expected. Args: ADDRESS RUNTIME_DIR.
 */
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { TAKE_BEFORE_CANCEL } from './plan.js';

const [address = 'pipe://demo', runtimeDir] = process.argv.slice(2);
const bus = new MessageBus(new NamedPipeClient({ address, ...(runtimeDir !== undefined && { runtimeDir }), reconnect: false, logger: silentLogger }), { name: 'client', logger: silentLogger });
const show = (what: string, value: unknown): void => console.log(`${what.padEnd(44)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
const expect = (what: string, got: unknown, wanted: unknown): void => {
  if (JSON.stringify(got) !== JSON.stringify(wanted)) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(wanted)}`);
};

await bus.start();
console.log(`connected to ${address}`);

const sum = await bus.request<number>('math.add', { a: 2, b: 40 });
show("request('math.add', {a: 2, b: 40})", sum);
expect('math.add', sum, 42);

const lines = await lastValueFrom(bus.request$<string>('report.lines').pipe(toArray()));
show("request$('report.lines')", lines);
expect('report.lines', lines, ['tea: 10', 'coffee: 3', 'milk: 0']);

// take(n) unsubscribes after n values: the bus sends a cancel and the service's stream stops.
const counted = await lastValueFrom(bus.request$<number>('counter.count').pipe(take(TAKE_BEFORE_CANCEL), toArray()));
show(`request$('counter.count'), take(${TAKE_BEFORE_CANCEL})`, `${JSON.stringify(counted)}, then cancelled`);
expect('counter.count', counted, [1, 2, 3]);

// An AbortSignal cancels a request in flight: the caller gets CANCELLED, the handler's signal aborts.
// The service announces that it started the job; the client cancels then.
const started = firstValueFrom(bus.subscribe('jobs.started'));
const controller = new AbortController();
const waiting = bus.request('job.wait', null, { signal: controller.signal, timeout: 10_000 });
await started;
controller.abort();
try {
  await waiting;
  throw new Error('job.wait answered although it was cancelled');
} catch (error) {
  if (!BusError.is(error)) throw error;
  show("request('job.wait'), abort() once started", `rejected with ${error.code}`);
  expect('job.wait', error.code, 'CANCELLED');
}

await bus.close();
console.log('client done');
