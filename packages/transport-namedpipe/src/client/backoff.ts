import { checkKnownKeys, describeValue, invalidArgument } from '@pipebus/core/transport-kit';
import { RECONNECT_OPTION_KEYS, optionalInteger, optionalNumber } from '../options/validate.js';

/**
 * How a client reconnects after an established link drops: the n-th attempt
 * waits `min(maxDelayMs, initialDelayMs * factor^n)`, spread by ±`jitter`
 * (a fraction) so that many clients of one restarted server do not return in
 * lockstep.
 */
export interface ReconnectOptions {
  /** Wait before the first attempt, ms. Default 50. */
  initialDelayMs?: number;
  /** Longest wait between attempts, ms. Default 5000. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Random spread, 0..1, as a fraction of the delay. Default 0.2. */
  jitter?: number;
  /** Attempts before giving up and closing; default Infinity. */
  maxAttempts?: number;
}

/** Validated reconnect settings; `undefined` when reconnection is off. */
export type ReconnectPolicy = Required<ReconnectOptions>;

/** Validates `reconnect` (true/false/options; default true). */
export function reconnectPolicy(what: string, value: unknown): ReconnectPolicy | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw invalidArgument(`${what}: 'reconnect' must be true, false or { initialDelayMs, maxDelayMs, factor, jitter, maxAttempts }, got ${describeValue(value)}`);
  }
  const o = (typeof value === 'object' ? value : {}) as ReconnectOptions;
  checkKnownKeys(what, o, RECONNECT_OPTION_KEYS, 'options.reconnect.');
  const initialDelayMs = optionalInteger(what, 'reconnect.initialDelayMs', o.initialDelayMs, 50, 0, 3_600_000);
  const maxDelayMs = optionalInteger(what, 'reconnect.maxDelayMs', o.maxDelayMs, Math.max(5000, initialDelayMs), initialDelayMs, 3_600_000);
  const factor = optionalNumber(what, 'reconnect.factor', o.factor, 2, 1, 100);
  const jitter = optionalNumber(what, 'reconnect.jitter', o.jitter, 0.2, 0, 1);
  const maxAttempts = o.maxAttempts === Infinity ? Infinity : optionalInteger(what, 'reconnect.maxAttempts', o.maxAttempts, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
  return { initialDelayMs, maxDelayMs, factor, jitter, maxAttempts: maxAttempts === Number.MAX_SAFE_INTEGER ? Infinity : maxAttempts };
}

/** The wait before attempt `attempt` (0-based); `random` is injectable for tests. */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** attempt);
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxDelayMs, Math.round(base + spread)));
}
