import fc from 'fast-check';

/**
 * How many cases a fuzz property runs. CI on Linux runs the full count; Windows
 * Node under Wine is ~10x slower per case, so it runs a tenth, which still
 * exercises every path of the properties there. `PIPEBUS_FUZZ_SCALE` (e.g. 10)
 * multiplies the count for a long local run.
 */
export function fuzzRuns(linuxRuns: number): number {
  const scale = Number(process.env['PIPEBUS_FUZZ_SCALE'] ?? '1');
  const base = process.env['PIPEBUS_UNDER_WINE'] === '1' ? Math.ceil(linuxRuns / 10) : linuxRuns;
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/**
 * fast-check parameters for one property: the run count, and a seed. The seed
 * is random unless `PIPEBUS_FUZZ_SEED` replays one; fast-check prints the seed
 * and the shrunk counterexample's path in the failure message, so a failure in
 * CI can be replayed here with `PIPEBUS_FUZZ_SEED=<seed> npx jest <file>`.
 */
export function fuzzParameters(linuxRuns: number): fc.Parameters<unknown> {
  const replay = process.env['PIPEBUS_FUZZ_SEED'];
  const seed = replay !== undefined && replay !== '' ? Number(replay) : Date.now() ^ (Math.random() * 0x7fffffff);
  return { numRuns: fuzzRuns(linuxRuns), seed, verbose: 1 };
}

/** Arbitrary byte arrays up to `maxLength`, biased to the small ones where parsers have their edge cases. */
export function bytes(maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}
