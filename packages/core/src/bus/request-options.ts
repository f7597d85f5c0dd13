/**
 * The options of one request, and their check (internal to the bus, which
 * exports the type).
 */
import type { Headers } from '../envelope/index.js';
import { checkKnownKeys } from '../errors/known-keys.js';
import { invalidArgument } from '../errors/bus-error.js';
import type { PeerId } from '../transport/index.js';
import { describeValue } from '../transport/transport.js';
import { checkHeaders, checkName } from './argument-checks.js';
import { checkTimeout } from './options.js';

/** Options of one request. */
export interface RequestOptions {
  /**
   * Milliseconds to wait for the (next) response, up to 2 147 483 647 (about
   * 24.8 days; a longer one is refused with `INVALID_ARGUMENT`, as Node's
   * timers cannot wait longer); `Infinity` for none. Default: the bus's
   * `defaultTimeout`.
   */
  timeout?: number;
  /** Aborting it cancels the request locally and on the handler's side. */
  signal?: AbortSignal;
  /** Headers for the handler (and middleware) to read. */
  headers?: Headers;
  /** The peer to ask; needed only on a transport with several peers (a server). */
  to?: PeerId;
  /**
   * While the transport is not open (a client `reconnecting` after a lost
   * link, or still `connecting`), wait for it to open and send then,
   * instead of failing at once with `TRANSPORT_CLOSED`. The wait counts
   * against `timeout` and ends on `signal`: then the request fails with
   * `TIMEOUT` or `CANCELLED`, saying it was still waiting for the transport.
   * It fails `TRANSPORT_CLOSED` if the transport closes for good, and with
   * the start's own error if the bus's first `start()` fails (nothing would
   * retry it: give the client a `connectTimeout` to wait for a server).
   * A waiting request is a pending call like any other (in
   * `stats().pendingRequests`, bounded by its timeout); no frame is held.
   *
   * Only sending waits: a request already sent when the link is lost still
   * fails `TRANSPORT_CLOSED`, since sending it again could run its handler
   * twice. Default false: a caller that can do something else (report,
   * fall back) learns at once that the link is down.
   */
  waitForReady?: boolean;
}

// Every key of RequestOptions, so that a misspelt one fails (see checkKnownKeys).
const REQUEST_OPTION_KEYS: ReadonlySet<string> = new Set<keyof RequestOptions>(['timeout', 'signal', 'headers', 'to', 'waitForReady']);

/** Request options once checked; requests without options share one. */
export interface CheckedRequest {
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  readonly to: PeerId | undefined;
  readonly headers: Headers | undefined;
  readonly waitForReady: boolean;
}

/**
 * Checks the options of one request; throws `INVALID_ARGUMENT` naming the
 * bad one (a misspelt key gets the closest valid one).
 */
export function checkRequest(method: string, options: RequestOptions, defaultTimeout: number): CheckedRequest {
  checkName(method, 'method');
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`request('${method}'): options must be an object such as { timeout: 5000 }, got ${describeValue(options)}`);
  }
  // On every request's path: a for...in over a few keys, and the message
  // (a template string) is built only when a key is unknown.
  for (const key in options) {
    if (!REQUEST_OPTION_KEYS.has(key)) {
      checkKnownKeys(`request('${method}')`, options, REQUEST_OPTION_KEYS);
      break;
    }
  }
  const timeout = options.timeout === undefined ? defaultTimeout : checkTimeout(options.timeout, `request('${method}') timeout`);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument(`request('${method}'): signal must be an AbortSignal`);
  }
  const to = options.to;
  if (to !== undefined && (typeof to !== 'string' || to.length === 0)) {
    throw invalidArgument(`request('${method}'): 'to' must be a peer id string`);
  }
  const waitForReady = options.waitForReady ?? false;
  if (typeof waitForReady !== 'boolean') {
    throw invalidArgument(`request('${method}'): waitForReady must be true or false, got ${describeValue(waitForReady)}`);
  }
  return { timeout, signal, to, headers: checkHeaders(options.headers), waitForReady };
}
