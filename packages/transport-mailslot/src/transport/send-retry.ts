import { BusError } from '@pipebus/core';

/** How long a send waits for a full reader queue before it gives up with BUSY. */
export const SEND_BOUND_MS = 5000;
/** Retries through setImmediate before falling back to 1 ms timers: a reader in this process needs the event loop. */
const IMMEDIATE_RETRIES = 32;

/**
 * Retries `attempt` until it reports that nothing is left to send, waiting
 * between tries (setImmediate, then 1 ms timers), for at most
 * {@link SEND_BOUND_MS}. This is backpressure: the caller's send resolves
 * only when the kernel took every datagram; nothing is queued in memory.
 *
 * @param attempt - tries the remaining writes; returns how many are still refused.
 * @param stopped - a reason to stop (the transport closed), checked before each try.
 * @param onRetry - counts retries.
 * @param busy - the error for giving up, naming what stayed full.
 */
export async function retryUntilSent(
  attempt: () => number,
  stopped: () => BusError | undefined,
  onRetry: () => void,
  busy: () => BusError,
): Promise<void> {
  const deadline = Date.now() + SEND_BOUND_MS;
  for (let round = 0; ; round++) {
    await new Promise<void>((resolve) => (round < IMMEDIATE_RETRIES ? setImmediate(resolve) : setTimeout(resolve, 1)));
    const stop = stopped();
    if (stop !== undefined) throw stop;
    onRetry();
    if (attempt() === 0) return;
    if (Date.now() > deadline) throw busy();
  }
}
