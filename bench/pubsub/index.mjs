// bench/pubsub: pub/sub fan-out across processes, one publisher and N
// subscriber processes, for pipebus (named pipe, mailslot and NATS transports)
// and the libraries a Node user would pick instead: zeromq PUB/SUB over ipc://,
// nats.js direct through a local nats-server, node-ipc. Every system publishes the same
// bytes (a Buffer of the payload size) and every subscriber only counts.
//
// Figures: delivered/s = messages received by all subscribers / seconds from
// the publisher's first publish to the last message received anywhere. A
// system that drops messages (zeromq PUB at its HWM, NATS with a slow
// consumer) shows it in `lost`; the rate counts only what arrived.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer } from '../lib/nats.mjs';
import { pairedRatio, sizeLabel } from '../lib/stats.mjs';
import { packageVersion } from '../lib/versions.mjs';
import { PUBLISH_WINDOW, measureMailslot, medianRun } from '../mailslot/index.mjs';
import { runRound } from './round.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const SYSTEMS = [
  {
    id: 'pipebus-namedpipe',
    name: `pipebus MessageBus over NamedPipeServer/Client (unix socket), ${PUBLISH_WINDOW} publishes in flight`,
  },
  {
    id: 'pipebus-mailslot',
    name: `pipebus MessageBus over MailslotTransport (AF_UNIX datagrams, default 64 KiB frames), ${PUBLISH_WINDOW} publishes in flight`,
  },
  {
    id: 'zeromq',
    name: 'zeromq PUB/SUB over ipc://, default options (HWM 1000 each side; PUB drops at the HWM)',
  },
  {
    id: 'zeromq-nodrop',
    name: 'zeromq PUB/SUB over ipc://, noDrop (ZMQ_XPUB_NODROP: send retried on EAGAIN instead of dropping)',
  },
  {
    id: 'nats',
    name: 'nats.js direct (@nats-io/transport-node), local nats-server, subscribe("bench.>") with a callback',
  },
  {
    id: 'pipebus-nats',
    name: `pipebus MessageBus over NatsTransport (the same nats-server), subscribe("bench.>"), ${PUBLISH_WINDOW} publishes in flight`,
  },
  {
    id: 'node-ipc',
    name: 'node-ipc 9.2.1 over a unix socket, server.broadcast() (JSON events)',
  },
];

/** Whether a system can run here, and its version; a missing piece is reported, never thrown. */
async function probe(system, nats) {
  const pipebus = `@pipebus/core ${packageVersion('@pipebus/core')}`;
  try {
    switch (system.id) {
      case 'pipebus-namedpipe':
        return { available: true, version: `${pipebus}, transport-namedpipe ${packageVersion('@pipebus/transport-namedpipe')}` };
      case 'pipebus-mailslot':
        return { available: true, version: `${pipebus}, transport-mailslot ${packageVersion('@pipebus/transport-mailslot')}` };
      case 'zeromq':
      case 'zeromq-nodrop': {
        const zmq = await import('zeromq');
        return { available: true, version: `zeromq ${packageVersion('zeromq')} (libzmq ${zmq.version})` };
      }
      case 'nats':
        if (!nats.available) return { available: false, reason: nats.reason };
        await import('@nats-io/transport-node');
        return { available: true, version: `@nats-io/transport-node ${packageVersion('@nats-io/transport-node')}, nats-server ${nats.version}` };
      case 'pipebus-nats':
        if (!nats.available) return { available: false, reason: nats.reason };
        await import('@pipebus/transport-nats');
        return {
          available: true,
          version: `${pipebus}, transport-nats ${packageVersion('@pipebus/transport-nats')} (@nats-io/transport-node ${packageVersion('@nats-io/transport-node')}), nats-server ${nats.version}`,
        };
      case 'node-ipc':
        require('node-ipc');
        return { available: true, version: `node-ipc ${packageVersion('node-ipc')}` };
    }
  } catch (error) {
    return { available: false, reason: `cannot load: ${error.message.split('\n')[0]}` };
  }
  return { available: false, reason: 'unknown system' };
}

/** One round of `system`: a fresh address, the publisher and `subscribers` subscriber processes. */
async function measure(system, { nats, payloadBytes, subscribers, warmMs, durationMs }) {
  if (system.id === 'pipebus-mailslot') return measureMailslot({ payloadBytes, listeners: subscribers, warmMs, durationMs });
  const dir = mkdtempSync(join(os.tmpdir(), 'pbps-'));
  const tag = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const address = {
    'pipebus-namedpipe': `pipe://bench-${tag}`,
    zeromq: `ipc://${join(dir, 'zmq.sock')}`,
    'zeromq-nodrop': `ipc://${join(dir, 'zmq.sock')}`,
    nats: nats.url,
    'pipebus-nats': nats.url,
    'node-ipc': join(dir, 'ipc.sock'),
  }[system.id];
  try {
    return await runRound({
      publisher: [join(here, 'publisher.mjs'), [system.id, address, payloadBytes, subscribers, warmMs, durationMs, PUBLISH_WINDOW]],
      subscriber: [join(here, 'subscriber.mjs'), [system.id, address]],
      subscribers,
      // A node-ipc client gives up (or waits its 500 ms retry) when the server is not there yet.
      publisherFirst: system.id === 'node-ipc',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * @param quick - 64 B only, 1 and 8 subscribers, one short run each (a sanity check: ~13 s, rough figures)
 * @param progress - called with a short label before each measurement
 * @param only - optional overrides for ad-hoc runs: { systems: ['nats'], sizes: [1024], subscribers: [8], rounds: 1, warmMs: 0, durationMs: 500 };
 *   PIPEBUS_BENCH_SYSTEMS=nats,pipebus-nats narrows `systems` from the environment, as in bench/reqrep
 */
export async function runPubSubBench({ quick = false, progress = () => {}, only = {} } = {}) {
  const chosen = only.systems ?? process.env.PIPEBUS_BENCH_SYSTEMS?.split(',').filter(Boolean);
  const sizes = only.sizes ?? (quick ? [64] : [64, 1024, 65536]);
  // Quick mode leaves 4 subscribers out (process starts cost ~0.15 s of CPU each) and keeps 8, the headline figure.
  const fanOuts = only.subscribers ?? (quick ? [1, 8] : [1, 4, 8]);
  const rounds = only.rounds ?? (quick ? 1 : 3);
  // Warm-up traffic first (a cold Node subscriber needs a second or two of messages to reach its
  // rate), then each publisher publishes for `durationMs` (a fixed duration, not a fixed count:
  // the systems differ 1000-fold in rate) and the subscribers drain what is queued.
  const warmMs = only.warmMs ?? (quick ? 250 : 1000);
  const durationMs = only.durationMs ?? (quick ? 200 : 1500);
  const nats = await startNatsServer().catch((error) => ({ available: false, reason: `nats-server did not start: ${error.message.split('\n')[0]}` }));
  const systems = [];
  const results = [];
  try {
    for (const system of SYSTEMS) {
      const found = await probe(system, nats);
      systems.push({ id: system.id, name: system.name, ...found });
    }
    const runnable = SYSTEMS.filter((system) => systems.find((s) => s.id === system.id).available && (chosen?.includes(system.id) ?? true));
    for (const payloadBytes of sizes) {
      for (const subscribers of fanOuts) {
        // Runs of the systems are interleaved, so a slow spell of the machine hits them all alike.
        const runs = new Map(runnable.map((system) => [system.id, []]));
        // Round by round, undefined where a round failed: ratios pair round i of two systems.
        const byRound = new Map(runnable.map((system) => [system.id, []]));
        const errors = new Map(runnable.map((system) => [system.id, []]));
        for (let round = 0; round < rounds; round++) {
          for (const system of runnable) {
            progress(`pubsub ${system.id} ${sizeLabel(payloadBytes)} → ${subscribers} sub${subscribers > 1 ? 's' : ''}${rounds > 1 ? ` (run ${round + 1}/${rounds})` : ''}`);
            try {
              const run = await measure(system, { nats, payloadBytes, subscribers, warmMs, durationMs });
              runs.get(system.id).push(run);
              byRound.get(system.id)[round] = run.deliveredPerSecond;
            } catch (error) {
              // One system failing must not cost the other systems' figures: it is reported in its result.
              errors.get(system.id).push(error.message.split('\n')[0]);
            }
          }
        }
        for (const system of runnable) {
          const all = runs.get(system.id);
          const failed = errors.get(system.id);
          if (all.length === 0) {
            results.push({ system: system.id, payloadBytes, subscribers, error: failed[0] });
            continue;
          }
          const r = medianRun(all);
          results.push({
            system: system.id,
            payloadBytes,
            subscribers,
            published: r.published,
            delivered: r.delivered,
            lost: r.lost,
            seconds: r.seconds,
            deliveredPerSecond: r.deliveredPerSecond,
            publishedPerSecond: r.publishedPerSecond,
            // pipebus-mailslot: a 64 KiB message is two datagrams with the default 64 KiB frames.
            ...(r.fragmentsPerMessage !== undefined && { fragmentsPerMessage: r.fragmentsPerMessage }),
            lostPerRun: all.map((x) => x.lost),
            deliveredPerSecondPerRun: all.map((x) => Math.round(x.deliveredPerSecond)),
            // pipebus over NATS against nats.js direct, paired by round (the issue's fan-out target).
            ...(system.id === 'pipebus-nats' && byRound.has('nats') && { ratioToNatsDirect: pairedRatio(byRound.get('pipebus-nats'), byRound.get('nats')) ?? null }),
            ...(failed.length > 0 && { errors: failed }),
          });
        }
      }
    }
  } finally {
    if (nats.available) await nats.stop();
  }
  return { systems, results };
}
