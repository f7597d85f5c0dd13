// bench/pubsub: pub/sub fan-out across processes, one publisher and N
// subscriber processes, in the layouts a user would pick: pipebus with the
// publisher as the NamedPipeServer, pipebus through a relay hub, the
// mailslot group, pipebus over NATS, and the libraries a Node user would pick
// instead: zeromq PUB/SUB over ipc:// (lossy defaults and lossless noDrop),
// nats.js direct through a local nats-server, node-ipc.
//
// Every system carries the same value, a Buffer of the payload size, and
// every subscriber decodes every message before counting it:
//   pipebus-*     the publisher's bus encodes [kind, id, topic, bytes] (msgpack,
//                 the envelope fast path), the subscriber's bus decodes it and
//                 hands event.payload (the Buffer) to the subscriber
//   zeromq(-nodrop), nats
//                 the publisher calls msgpackr pack(payload) per message and sends
//                 [topic, bytes] / publish(subject, bytes); the subscriber calls
//                 unpack() on every message
//   node-ipc      broadcast(topic, payload): node-ipc JSON-encodes the Buffer
//                 and parses every message on the subscriber side itself
//
// Figures: delivered/s = messages received by all subscribers / seconds from
// the publisher's first publish to the last message received anywhere. A
// system that drops messages (zeromq PUB at its HWM, NATS with a slow
// consumer) shows it in `lost`; the rate counts only what arrived. CPU:
// utime+stime of every process of the run (publisher, subscribers, the hub,
// nats-server) over the measured phase, in µs per delivered message: on a
// saturated machine that total, not any one process, sets the rate.
// Ratios of pipebus rows to nats and zeromq-nodrop are paired by round
// (rounds interleave the systems), as {median, min, max, rounds}.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer } from '../lib/nats.mjs';
import { median, pairedRatio, sizeLabel } from '../lib/stats.mjs';
import { packageVersion } from '../lib/versions.mjs';
import { PUBLISH_WINDOW, measureMailslot, medianRun } from '../mailslot/index.mjs';
import { runRound } from './round.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const SYSTEMS = [
  {
    id: 'pipebus-server',
    name: `pipebus, the publisher's MessageBus is the NamedPipeServer (unix socket), subscribers are its clients (interest routing), ${PUBLISH_WINDOW} publishes in flight`,
  },
  {
    id: 'pipebus-hub',
    name: `pipebus through a relay hub process (NamedPipeServer, relay: true, no subscriptions), the publisher and subscribers are its clients, ${PUBLISH_WINDOW} publishes in flight`,
  },
  {
    id: 'pipebus-mailslot',
    name: `pipebus MessageBus over MailslotTransport, mailslot://group (AF_UNIX datagrams, default 64 KiB frames), ${PUBLISH_WINDOW} publishes in flight`,
  },
  {
    id: 'zeromq',
    name: 'zeromq PUB/SUB over ipc://, default options (HWM 1000 each side; PUB drops at the HWM: lossy)',
  },
  {
    id: 'zeromq-nodrop',
    name: 'zeromq PUB/SUB over ipc://, noDrop (ZMQ_XPUB_NODROP: at the HWM send fails EAGAIN and is retried instead of dropping: lossless)',
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
/** Older ids still accepted in PIPEBUS_BENCH_SYSTEMS / only.systems (results before issue 18 used them). */
const ALIASES = { 'pipebus-namedpipe': 'pipebus-server' };
/** The rows pipebus rows are compared with, paired by round. */
const PEERS = ['nats', 'zeromq-nodrop'];

/** Whether a system can run here, and its version; a missing piece is reported, never thrown. */
async function probe(system, nats) {
  const pipebus = `@pipebus/core ${packageVersion('@pipebus/core')}`;
  try {
    switch (system.id) {
      case 'pipebus-server':
      case 'pipebus-hub':
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
    'pipebus-server': `pipe://bench-${tag}`,
    'pipebus-hub': `pipe://bench-${tag}`,
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
      ...(system.id === 'pipebus-hub' && { hub: [join(here, 'hub.mjs'), [address]] }),
      // nats-server's routing is part of what a NATS row costs.
      ...((system.id === 'nats' || system.id === 'pipebus-nats') && nats.pid !== undefined && { others: { broker: [nats.pid] } }),
      // A node-ipc client gives up (or waits its 500 ms retry) when the server is not there yet.
      publisherFirst: system.id === 'node-ipc',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * @param quick - 64 B only, 1 and 8 subscribers, one short run each (a sanity check: ~40 s, rough figures, ratios not settled)
 * @param progress - called with a short label before each measurement
 * @param only - optional overrides for ad-hoc runs: { systems: ['nats'], sizes: [1024], subscribers: [8], rounds: 1, warmMs: 0, durationMs: 500 };
 *   PIPEBUS_BENCH_SYSTEMS=nats,pipebus-nats narrows `systems` from the environment, as in bench/reqrep
 */
export async function runPubSubBench({ quick = false, progress = () => {}, only = {} } = {}) {
  const chosen = (only.systems ?? process.env.PIPEBUS_BENCH_SYSTEMS?.split(',').filter(Boolean))?.map((id) => ALIASES[id] ?? id);
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
        const perRound = (id) => byRound.get(id) ?? [];
        for (const system of runnable) {
          const all = runs.get(system.id);
          const failed = errors.get(system.id);
          if (all.length === 0) {
            results.push({ system: system.id, payloadBytes, subscribers, error: failed[0] });
            continue;
          }
          const r = medianRun(all);
          const cpuPerRun = all.map((x) => x.cpu?.perDeliveredUs).filter((x) => x != null);
          const decoded = r.subscriberReports?.reduce((sum, x) => sum + (x.decodedBytes ?? 0), 0);
          const ratioTo = {};
          if (system.id.startsWith('pipebus')) {
            for (const peer of PEERS) if (byRound.has(peer)) ratioTo[peer] = pairedRatio(perRound(system.id), perRound(peer)) ?? null;
          }
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
            // Subscribers per run that never saw the end marker (lossy, or cut off), and pipebus clients whose link closed.
            subscribersEndedIdlePerRun: all.map((x) => x.subscriberReports.filter((s) => s.by === 'idle').length),
            linksClosedPerRun: all.map((x) => x.subscriberReports.filter((s) => s.link !== undefined).length),
            // Every process's CPU over the measured phase per delivered message (median over rounds), and the median run's split.
            ...(cpuPerRun.length > 0 && { cpuPerDeliveredUs: median(cpuPerRun), cpuPerDeliveredUsPerRun: cpuPerRun.map((x) => Number(x.toFixed(2))), cpuSeconds: r.cpu?.seconds }),
            // What the subscribers decoded per message: the payload size when every message was decoded whole.
            ...(decoded !== undefined && r.delivered > 0 && { decodedBytesPerMessage: decoded / r.delivered }),
            // Paired by round against the peers the targets name (issue 18), and pipebus over NATS against nats.js direct (issue 17).
            ...(Object.keys(ratioTo).length > 0 && { ratioTo }),
            ...(system.id === 'pipebus-nats' && byRound.has('nats') && { ratioToNatsDirect: ratioTo.nats }),
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
