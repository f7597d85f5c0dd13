// Percentiles and medians shared by every suite, so all systems are summarised
// the same way.

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Median of a list of numbers (the middle run of an odd number of runs). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Rounds a paired ratio needs before anything is judged or printed from it: the "medians of ≥ 3 interleaved rounds". */
export const MIN_ROUNDS = 3;

/**
 * A ratio's spread over rounds: `ours[i] / theirs[i]` for each round both
 * completed (rounds run interleaved, so round i of two systems saw the same
 * spell of the machine), as {median, min, max, rounds}; undefined when no
 * round pairs up.
 */
export function pairedRatio(ours, theirs) {
  const ratios = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    if (ours[i] != null && theirs[i] != null && theirs[i] !== 0) ratios.push(ours[i] / theirs[i]);
  }
  if (ratios.length === 0) return undefined;
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios.length };
}

/** Summary of latency samples in microseconds. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    perSecond: sorted.length === 0 ? 0 : 1e6 / (sum / sorted.length),
  };
}

/** A payload size as people say it: `64 B`, `1 KiB`, `64 KiB`. */
export function sizeLabel(bytes) {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}
