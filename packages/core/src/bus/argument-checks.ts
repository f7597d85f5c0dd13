/** Checks of the arguments users pass to the bus, each failing with `INVALID_ARGUMENT`. */
import type { Headers } from '../envelope/index.js';
import { MAX_NAME_LENGTH, isHeaders } from '../envelope/index.js';
import { findUnencodable } from '../codec/index.js';
import type { BusError } from '../errors/index.js';
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

/**
 * A payload the bus's codec would not carry faithfully (a function, a
 * Promise, a class instance that would arrive as `{}`…; see
 * `findUnencodable`), as the `INVALID_ARGUMENT` to fail with, or undefined
 * when it is fine. The message opens with `verb('name')`: `request('orders.add')`
 * (built only for a refusal, so that a call costs no string), and `root`
 * names the payload in the path: `payload.items[3].cb`.
 *
 * On every message's path: a primitive payload returns at once, and the
 * walk allocates nothing unless it finds something.
 */
export function payloadProblem(payload: unknown, verb: string, name: string, root = 'payload'): BusError | undefined {
  if (payload === null || (typeof payload !== 'object' && typeof payload !== 'function' && typeof payload !== 'symbol')) return undefined;
  const problem = findUnencodable(payload, root);
  return problem === undefined ? undefined : invalidArgument(`${verb}('${name}'): ${problem.path} ${problem.reason}`, { path: problem.path });
}
