// bench/mailslot: the mailslot transport's fan-out from one publisher process
// to 1, 4 and 8 listener processes (a MessageBus on each side, as users run
// it): a small message, an 8 KiB one over 424-byte frames (fragmented by the
// bus, the domain-broadcast frame size) and the same 8 KiB with the default
// 64 KiB frames (one datagram). Three runs per configuration in full mode;
// the run with the median delivered rate is reported, with every run's loss.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { runRound } from '../pubsub/round.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Publishes kept in flight by the publisher (each awaited): the same as bench/pubsub's pipebus systems. */
export const PUBLISH_WINDOW = 64;
/** The transport's default frame size, large enough for 8 KiB in one datagram. */
const DEFAULT_FRAME = 65536;

const uniqueGroup = () => `mailslot://bench-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;

/**
 * One publisher and `listeners` listener processes on a fresh group.
 * Exported for bench/pubsub, which runs the same scripts as its pipebus-mailslot system.
 */
export async function measureMailslot({ payloadBytes, frameSize = DEFAULT_FRAME, listeners, warmMs, durationMs }) {
  const address = uniqueGroup();
  try {
    return await runRound({
      publisher: [join(here, 'publisher.mjs'), [address, payloadBytes, listeners, frameSize, warmMs, durationMs, PUBLISH_WINDOW]],
      subscriber: [join(here, 'listener.mjs'), [address, frameSize]],
      subscribers: listeners,
    });
  } finally {
    // Listeners unregister when stopped; this removes the group's directory (and what a killed one left).
    const resolved = resolveMailslotAddress(address);
    if (resolved.kind === 'group') rmSync(resolved.registryDir, { recursive: true, force: true });
  }
}

/** The run whose delivered rate is the median (its figures stay consistent with each other). */
export function medianRun(runs) {
  return [...runs].sort((a, b) => a.deliveredPerSecond - b.deliveredPerSecond)[Math.floor(runs.length / 2)];
}

/**
 * @param quick - 1 and 4 listeners, one short run each (a sanity check: ~4 s, rough figures)
 * @param progress - called with a short label before each measurement
 */
export async function runMailslotBench({ quick = false, progress = () => {} } = {}) {
  const configs = [
    { payloadBytes: 64, frameSize: DEFAULT_FRAME },
    { payloadBytes: 8192, frameSize: 424 },
    { payloadBytes: 8192, frameSize: DEFAULT_FRAME },
  ];
  // Warm-up traffic first (a cold listener needs a second or two of messages to reach its rate),
  // then the publisher publishes for `durationMs` and the listeners drain what is queued.
  const timing = quick ? { warmMs: 100, durationMs: 150 } : { warmMs: 1000, durationMs: 1500 };
  const rounds = quick ? 1 : 3;
  const results = [];
  for (const config of configs) {
    // Quick mode leaves 8 listeners out: nine process starts cost ~1 s on 2 cores.
    for (const listeners of quick ? [1, 4] : [1, 4, 8]) {
      const label = `mailslot ${config.payloadBytes} B over ${config.frameSize} B frames → ${listeners} listener${listeners > 1 ? 's' : ''}`;
      const runs = [];
      const errors = [];
      for (let round = 0; round < rounds; round++) {
        progress(rounds > 1 ? `${label} (run ${round + 1}/${rounds})` : label);
        try {
          runs.push(await measureMailslot({ ...config, ...timing, listeners }));
        } catch (error) {
          // A send that stayed refused for 5 s (BUSY) ends up here: reported, and the other configurations still run.
          errors.push(error.message.split('\n')[0]);
        }
      }
      if (runs.length === 0) {
        results.push({ payloadBytes: config.payloadBytes, frameSize: config.frameSize, listeners, error: errors[0] });
        continue;
      }
      const r = medianRun(runs);
      results.push({
        payloadBytes: config.payloadBytes,
        frameSize: config.frameSize,
        fragmentsPerMessage: r.fragmentsPerMessage,
        listeners,
        published: r.published,
        delivered: r.delivered,
        lost: r.lost,
        seconds: r.seconds,
        publishedPerSecond: r.publishedPerSecond,
        deliveredPerSecond: r.deliveredPerSecond,
        // Why the rate is what it is: EAGAIN retries of the publisher, and every run's loss.
        sendRetries: r.sendRetries,
        lostPerRun: runs.map((x) => x.lost),
        deliveredPerSecondPerRun: runs.map((x) => Math.round(x.deliveredPerSecond)),
        // CPU of the publisher and every listener over the measured phase, µs per delivered message, each run (see bench/pubsub).
        cpuPerDeliveredUsPerRun: runs.map((x) => (x.cpu?.perDeliveredUs == null ? null : Number(x.cpu.perDeliveredUs.toFixed(2)))),
        ...(errors.length > 0 && { errors }),
      });
    }
  }
  return { results };
}
