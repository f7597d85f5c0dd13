/**
 * One instance of the jobs service: `node worker.js NATS_URL PREFIX NAME [ANNOUNCE_FROM]`.
 * Several of them join one queue group, so NATS gives each call to one of
 * them; stopping one (or killing it) leaves the others serving. With
 * ANNOUNCE_FROM, it prints `holding #N` when it starts the first call
 * numbered ANNOUNCE_FROM or more: the runner kills it on that line, so the
 * example always shows what becomes of a call its instance dies holding.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { MessageBus } from '@pipebus/core';
import { implement } from '@pipebus/contract';
import { NatsTransport } from '@pipebus/transport-nats';
import { serveUntilSignalled } from '../serve-until-signalled.js';
import { Jobs, QUEUE } from './jobs-contract.js';

const [servers = 'nats://127.0.0.1:4222', prefix = 'cluster', instance = 'worker', announceArg] = process.argv.slice(2);
let announceFrom = announceArg === undefined ? Infinity : Number(announceArg);
/** How long a job takes: long enough that the runner's SIGKILL lands while the announced call runs. */
const WORK_MS = 100;

let handled = 0;
const bus = new MessageBus(new NatsTransport({ servers, prefix, name: instance }), { name: instance });

implement(
  bus,
  Jobs,
  {
    run: async (n, ctx) => {
      if (n >= announceFrom) {
        console.log(`holding #${n}`);
        announceFrom = Infinity;
      }
      // Stands for real work (I/O); the signal fires if the caller gives up or goes away.
      await delay(WORK_MS, undefined, { signal: ctx.signal });
      handled++;
      return { n, result: n * n, instance };
    },
  },
  { queue: QUEUE },
);

// Before serveUntilSignalled's own listener, which closes the bus: the group shared the load, so
// this is this instance's share, not every call.
process.once('SIGTERM', () => console.log(`stopping: handled ${handled} calls`));
await serveUntilSignalled(bus, `${servers} as ${instance} in queue group '${QUEUE}'`);
