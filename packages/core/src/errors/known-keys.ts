import { invalidArgument } from './bus-error.js';

/**
 * Throws `INVALID_ARGUMENT` when `options` has an own enumerable key that is
 * not in `known`, suggesting the closest known key, so that a typo such as
 * `connectTimout` fails at once instead of being silently ignored.
 *
 * Cheap enough for a per-request path: a `for...in` and one `Set` lookup per
 * key, no allocation unless a key is unknown. A key whose value is
 * `undefined` is still checked (a misspelt key is wrong whatever its value).
 *
 * @param what - who takes the options, as the message should name it
 *   (`'NamedPipeClient'`, `"request('orders.get')"`).
 * @param options - the options object; anything not an object is left to
 *   the caller's own type check.
 * @param known - the valid keys.
 * @param prefix - how a key is written in the message; default `'options.'`
 *   (use `'options.reassembly.'` for a nested object).
 */
export function checkKnownKeys(what: string, options: unknown, known: ReadonlySet<string>, prefix = 'options.'): void {
  if (options === null || typeof options !== 'object') return;
  for (const key in options) {
    if (!known.has(key) && Object.prototype.hasOwnProperty.call(options, key)) {
      const closest = closestKey(key, known);
      const hint = closest === undefined ? '' : ` did you mean '${closest}'?`;
      throw invalidArgument(`${what}: unknown option '${prefix}${key}';${hint} valid options are ${[...known].map((k) => `'${k}'`).join(', ')}`, {
        option: key,
        ...(closest !== undefined && { suggestion: closest }),
      });
    }
  }
}

/**
 * The key of `known` nearest to `key` (case-insensitive edit distance), or
 * undefined when none is near enough to be a plausible typo (more than a
 * third of the longer name would have to change).
 */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const k = key.toLowerCase();
  for (const candidate of known) {
    const d = editDistance(k, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(1, Math.ceil(Math.max(key.length, best.length) / 3)) ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(i === 0 ? j : 0);
    rows.push(row);
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
