/**
 * The caller: `node client.js NATS_URL PREFIX [CALLS]`. Keeps a few calls in
 * flight at once; NATS spreads them over the instances of the queue group,
 * and each answer names the instance that did the work.
 *
 * A call whose instance dies holding it gets no answer: NATS already
 * delivered the request, so there is no "no responders" to report, and the
 * call ends in TIMEOUT (or TRANSPORT_CLOSED when the instance went away in
 * the middle of a streamed answer). A TIMEOUT does not say whether the work
 * ran, so retrying is right only for idempotent calls, as `jobs.run` is;
 * the retry goes to whichever instance is left.
 */
import { BusError, MessageBus } from '@pipebus/core';
import { client } from '@pipebus/contract';
import { NatsTransport } from '@pipebus/transport-nats';
import { Jobs } from './jobs-contract.js';

const [servers = 'nats://127.0.0.1:4222', prefix = 'cluster', callsArg = '90'] = process.argv.slice(2);
const CALLS = Number(callsArg);
const IN_FLIGHT = 6;
/** Far above a job's 100 ms: a call that reaches it is one whose instance is gone. */
const CALL_TIMEOUT_MS = 2000;
const MAX_ATTEMPTS = 3;
/** The codes of a call lost with its instance; anything else is a real failure and is not retried. */
const RETRYABLE: ReadonlySet<string> = new Set(['TIMEOUT', 'TRANSPORT_CLOSED']);

const bus = new MessageBus(new NatsTransport({ servers, prefix, name: 'client' }), { name: 'client' });
await bus.start();
const jobs = client(bus, Jobs);

const perInstance = new Map<string, number>();
const retried = new Map<string, number>();
let answered = 0;

async function call(n: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { result, instance } = await jobs.run(n, { timeout: CALL_TIMEOUT_MS });
      if (result !== n * n) throw new Error(`#${n}: ${instance} answered ${result}`);
      if (!perInstance.has(instance)) console.log(`first answer from ${instance}: #${n} -> ${result}`);
      perInstance.set(instance, (perInstance.get(instance) ?? 0) + 1);
      answered++;
      return;
    } catch (error) {
      const code = error instanceof BusError ? error.code : undefined;
      if (code === undefined || !RETRYABLE.has(code) || attempt === MAX_ATTEMPTS) throw error;
      retried.set(code, (retried.get(code) ?? 0) + 1);
      console.log(`#${n}: ${code} (${error instanceof Error ? error.message : String(error)}); retrying (attempt ${attempt + 1})`);
    }
  }
}

let next = 1;
/** One of IN_FLIGHT lanes: takes the next number until none is left, or until a call failed for good. */
async function lane(): Promise<void> {
  while (next <= CALLS) {
    try {
      await call(next++);
    } catch (error) {
      next = Infinity;
      throw error;
    }
  }
}

// Settled, not Promise.all: the summary waits for the calls still in flight after a failure.
const outcomes = await Promise.allSettled(Array.from({ length: IN_FLIGHT }, lane));
const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')?.reason as unknown;
const counts = [...perInstance].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => `${name} ${count}`);
const retries = [...retried].map(([code, count]) => `${count} after ${code}`);
console.log(`summary: ${CALLS} calls, ${answered} answered (${counts.join(', ')}); retried: ${retries.length === 0 ? 'none' : retries.join(', ')}`);
await bus.close();
if (failed !== undefined) {
  console.log(`failed: ${failed instanceof BusError ? `${failed.code}: ` : ''}${failed instanceof Error ? failed.message : String(failed)}`);
  process.exitCode = 1;
}
