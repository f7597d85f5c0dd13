/** Resolves when the signal aborts (Ctrl-C) or `stopped` resolves, whichever comes first. */
export function untilStopped(signal: AbortSignal, stopped: Promise<void>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return Promise.race([stopped, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
}

/** A promise with its resolver, for "stop after N" conditions. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
