import { systemClock, type Clock, type Logger } from '@pipebus/core';
import { describeValue, invalidArgument } from '@pipebus/core/transport-kit';
import { isAbsoluteDir } from '../runtime-dir/dir-policy.js';

// One message format for every option of the OS transports, the same as
// core's own options: "<who>: options.<name> must be <rule>, got <value>".

/**
 * Throws INVALID_ARGUMENT unless `options` is a plain object.
 * @param example what a valid call looks like, shown in the message (`{ address: 'pipe://orders' }`).
 */
export function requireObject(what: string, options: unknown, example: string): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`${what} takes an options object such as ${example}, got ${describeValue(options)}`);
  }
}

/** An optional boolean option, or its default. */
export function optionalBoolean(what: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(`${what}: options.${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** An optional integer option within [min, max], or its default. */
export function optionalInteger(what: string, name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${what}: options.${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** An optional number within [min, max] (Infinity allowed when max is), or its default. */
export function optionalNumber(what: string, name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw invalidArgument(`${what}: options.${name} must be a number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** An optional string option that must be one of `choices`, or undefined. */
export function optionalChoice<T extends string>(what: string, name: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    const listed = choices.map((c) => `'${c}'`);
    const words = listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed[listed.length - 1]}` : (listed[0] ?? '');
    throw invalidArgument(`${what}: options.${name} must be ${words}, got ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * An optional absolute directory path (by the rules of `platform`). A
 * relative one would name another directory in every working directory.
 */
export function optionalDir(what: string, name: string, value: unknown, platform: NodeJS.Platform = process.platform): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || !isAbsoluteDir(value, platform)) {
    throw invalidArgument(`${what}: options.${name} must be an absolute directory path, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * An optional {@link Logger} with all four methods, or `fallback`. All four
 * are checked up front so that a bad logger fails at construction, not at the
 * first warning in the middle of a send.
 */
export function optionalLogger<F extends Logger | undefined>(what: string, value: unknown, fallback: F): Logger | F {
  if (value === undefined) return fallback;
  const logger = value as Partial<Logger>;
  if (value === null || typeof value !== 'object' || (['debug', 'info', 'warn', 'error'] as const).some((m) => typeof logger[m] !== 'function')) {
    throw invalidArgument(`${what}: options.logger must have debug, info, warn and error methods (see Logger in @pipebus/core), got ${describeValue(value)}`);
  }
  return value as Logger;
}

/**
 * An optional `clock` (core's `Clock`), or `systemClock`. Checked at
 * construction: a clock without `setTimeout` would otherwise fail only at the
 * first reconnect or deadline, far from the mistake.
 */
export function optionalClock(what: string, value: unknown): Clock {
  if (value === undefined) return systemClock;
  const c = value as Partial<Clock> | null;
  if (c === null || typeof c !== 'object' || typeof c.now !== 'function' || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    throw invalidArgument(`${what}: options.clock must implement now(), setTimeout() and clearTimeout() (core's Clock), got ${describeValue(value)}; omit it to use systemClock`);
  }
  return c as Clock;
}
