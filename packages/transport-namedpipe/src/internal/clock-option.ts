import { systemClock, type Clock } from '@pipebus/core';
import { describeValue, invalidArgument } from '@pipebus/core/transport-kit';

/**
 * Validates a transport's `clock` option (default `systemClock`). Checked at
 * construction, because a clock without `setTimeout` would otherwise fail
 * only at the first reconnect or deadline, far from the mistake.
 */
export function clockOption(what: string, value: unknown): Clock {
  if (value === undefined) return systemClock;
  const c = value as Partial<Clock> | null;
  if (c === null || typeof c !== 'object' || typeof c.now !== 'function' || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    throw invalidArgument(`${what}: 'clock' must implement now(), setTimeout() and clearTimeout() (core's Clock), got ${describeValue(value)}; omit it to use systemClock`);
  }
  return c as Clock;
}
