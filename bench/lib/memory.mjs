// Memory as a benchmark process reports it (run the process with --expose-gc).

/** RSS and heap after two full GCs, so a figure shows what is live, not what awaits collection. */
export function settledMemory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}
