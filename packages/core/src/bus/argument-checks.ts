/** Checks of the arguments users pass to the bus, each failing with `INVALID_ARGUMENT`. */
import type { Headers } from '../envelope/index.js';
import { MAX_NAME_LENGTH, isHeaders } from '../envelope/index.js';
import { invalidArgument } from '../errors/index.js';
import { describeValue } from '../transport/index.js';

/** A method or topic name: a non-empty string of at most `MAX_NAME_LENGTH` characters. */
export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw invalidArgument(`${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${describeValue(name)}`);
  }
}

/** Headers: absent, or a plain object of string values. */
export function checkHeaders(headers: unknown): Headers | undefined {
  if (headers === undefined) return undefined;
  if (!isHeaders(headers)) throw invalidArgument('headers must be a plain object of string values');
  return headers;
}
