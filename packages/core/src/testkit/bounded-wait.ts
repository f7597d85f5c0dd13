import { EmptyError } from 'rxjs';
import { BusError, type BusErrorCode } from '../errors/index.js';

/** How the contract suite waits: a bound in real ms, and an optional pump. */
export interface WaitPolicy {
  /** Real milliseconds one wait may take before it fails with a message naming what was awaited. */
  readonly boundMs: number;
  /** Called repeatedly while waiting (e.g. to advance a virtual clock). */
  readonly settle?: () => Promise<void>;
}

/** A pump that never returns could spin forever on microtasks alone; this caps it. */
const MAX_SETTLE_ROUNDS = 10_000;

/**
 * Awaits `promise`, failing with "timed out waiting for <what>" after
 * `policy.boundMs`, so a broken transport fails with a reason instead of a
 * bare jest timeout. The bound is a deadline, not a delay: a working
 * transport resolves as soon as the awaited event happens.
 */
export async function waitFor<T>(what: string, promise: Promise<T>, policy: WaitPolicy): Promise<T> {
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watched = promise.then(
    (value) => {
      done = true;
      return value;
    },
    (error: unknown) => {
      done = true;
      if (error instanceof EmptyError) throw new Error(`the observable completed (the transport closed?) while waiting for ${what}`);
      throw error;
    },
  );
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${policy.boundMs} ms waiting for ${what}`)), policy.boundMs);
  });
  const pump = policy.settle === undefined ? new Promise<never>(() => {}) : runPump(policy.settle, () => done);
  try {
    return await Promise.race([watched, deadline, pump]);
  } finally {
    done = true;
    clearTimeout(timer);
  }
}

/** Runs `settle` until `finished()`; only ever rejects (with the pump's error). */
async function runPump(settle: () => Promise<void>, finished: () => boolean): Promise<never> {
  for (let round = 0; round < MAX_SETTLE_ROUNDS && !finished(); round++) await settle();
  return new Promise<never>(() => {});
}

/** Asserts that `promise` rejects with a {@link BusError} of `code`, saying what it got instead. */
export async function expectBusError(promise: Promise<unknown>, code: BusErrorCode, what: string): Promise<BusError> {
  let outcome: unknown;
  try {
    await promise;
    outcome = 'it resolved';
  } catch (error) {
    if (BusError.is(error, code)) return error;
    outcome = BusError.is(error) ? `BusError ${error.code}: ${error.message}` : `${String(error)}`;
  }
  throw new Error(`${what}: expected a BusError with code ${code}, but ${String(outcome)}`);
}

/**
 * Wraps a case or hook body so that it fails with "`what` did not finish
 * within `ms` ms" once `ms` have passed. jest and vitest enforce their own
 * timeout too (given a little later, so this message comes first); node:test
 * has none by default, and without this a hang outside a bounded wait (a
 * start() that never settles) would hang the run.
 */
export function withDeadline(what: string, body: () => Promise<void> | void, ms: number): () => Promise<void> {
  return async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (options.timeoutMs)`)), ms);
    });
    try {
      await Promise.race([Promise.resolve().then(body), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
