import type { BusError, Clock } from '@pipebus/core';
import { holdOpen } from '@pipebus/os';

/** Retries through setImmediate before falling back to 1 ms timers: a reader in this process needs the event loop. */
const IMMEDIATE_RETRIES = 32;

/**
 * Waits until it is worth writing again; resolves at the latest after
 * `remainingMs` (the time left before the send gives up).
 */
export type SendWait = (remainingMs: number) => Promise<void>;

/**
 * The wait where the OS cannot tell when a full reader has room (macOS):
 * setImmediate {@link IMMEDIATE_RETRIES} times, then 1 ms timers on `clock`.
 * Polling, and its throughput drops once it reaches the timers; where the
 * writer offers `waitWritable` (Linux) that is used instead. The setImmediate
 * rounds are not time but turns of the event loop (a reader in this process
 * gets to read), so they stay off the clock.
 */
export function pollingWait(clock: Clock): SendWait {
  let round = 0;
  return () => new Promise<void>((resolve) => (round++ < IMMEDIATE_RETRIES ? setImmediate(resolve) : holdOpen(clock.setTimeout(resolve, 1))));
}

/**
 * Retries `attempt` until it reports that nothing is left to send, calling
 * `wait` between tries, for at most `timeoutMs` on `clock`. This is
 * backpressure: the caller's send resolves only when the kernel took every
 * datagram; nothing is queued in memory.
 *
 * @param clock - the transport's time source.
 * @param timeoutMs - how long to keep trying (the transport's `sendTimeoutMs`).
 * @param attempt - tries the remaining writes; returns how many are still refused.
 * @param wait - waits until a refused reader may have room (or the time left runs out).
 * @param stopped - a reason to stop (the transport closed), checked before each try.
 * @param onRetry - counts retries.
 * @param busy - the error for giving up, naming what stayed full.
 */
export async function retryUntilSent(
  clock: Clock,
  timeoutMs: number,
  attempt: () => number,
  wait: SendWait,
  stopped: () => BusError | undefined,
  onRetry: () => void,
  busy: () => BusError,
): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    await wait(Math.max(0, deadline - clock.now()));
    const stop = stopped();
    if (stop !== undefined) throw stop;
    onRetry();
    if (attempt() === 0) return;
    if (clock.now() >= deadline) throw busy();
  }
}
