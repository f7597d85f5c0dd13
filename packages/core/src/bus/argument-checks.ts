/** Checks of the arguments users pass to the bus, each failing with `INVALID_ARGUMENT`. */
import type { Headers } from '../envelope/index.js';
import { MAX_NAME_LENGTH, isHeaders } from '../envelope/envelope.js';
import { findUnencodable } from '../codec/encodable.js';
import { BusError, invalidArgument } from '../errors/bus-error.js';
import { checkKnownKeys } from '../errors/known-keys.js';
import type { Transport } from '../transport/index.js';
import { describeValue } from '../transport/transport.js';

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

const QUEUE_OPTIONS: ReadonlySet<string> = new Set(['queue']);

/**
 * The `queue` of `handle()`'s or `subscribe()`'s options: absent, or a
 * non-empty string, and only on a routed transport (NATS), the one kind
 * that can hand each message to one member of a group. `call` is how the
 * message opens: `handle('orders.get')`.
 */
export function checkQueue(options: { queue?: string } | undefined, call: string, transport: Transport): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw invalidArgument(`${call}: options must be an object such as { queue: 'workers' }, got ${describeValue(options)}`);
  checkKnownKeys(call, options, QUEUE_OPTIONS);
  const { queue } = options;
  if (queue === undefined) return undefined;
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > MAX_NAME_LENGTH) {
    throw invalidArgument(`${call}: queue must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${describeValue(queue)}`);
  }
  if (transport.capabilities.routed !== true) {
    // No local emulation: across processes (a pipe server relaying to its clients) there is no sound "one of the group".
    throw new BusError(
      'NOT_SUPPORTED',
      `${call}: queue groups need a transport that load-balances, such as transport-nats (capabilities.routed); on pipe:// one process handles each method already, and every subscriber gets every event: drop the queue option`,
    );
  }
  return queue;
}
