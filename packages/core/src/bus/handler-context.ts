import type { Observable } from 'rxjs';
import type { Headers } from '../envelope/index.js';
import type { PeerInfo } from '../transport/index.js';

/** What a request handler learns about the request besides its payload. */
export interface HandlerContext {
  /** The method called. */
  readonly method: string;
  /** Correlation id of the request (unique per caller). */
  readonly requestId: number;
  /** Who called. */
  readonly peer: PeerInfo;
  /** Headers the caller (or its middleware) attached; `{}` when none. */
  readonly headers: Headers;
  /**
   * Aborted when the caller cancels, times out or disconnects: pass it to
   * `fetch`, timers and child requests so abandoned work stops.
   */
  readonly signal: AbortSignal;
}

/**
 * Answers requests for one method. Return a value, a Promise, or an
 * Observable to stream several values (the caller's `request$` sees each).
 * Throwing (or rejecting) gives the caller `REMOTE_ERROR` with your error's
 * `code` and `message`.
 */
export type Handler<P = unknown, R = unknown> = (payload: P, context: HandlerContext) => R | Promise<R> | Observable<R>;

const EMPTY_HEADERS: Headers = Object.freeze({});

/**
 * The context given to handlers. The AbortController is created only when a
 * handler reads `signal`: most handlers never do, and creating one per
 * request would be the single largest cost of a small round trip.
 */
export class RequestContext implements HandlerContext {
  #controller: AbortController | undefined;
  #aborted: unknown = undefined;
  #isAborted = false;
  readonly headers: Headers;

  constructor(
    readonly method: string,
    readonly requestId: number,
    readonly peer: PeerInfo,
    headers: Headers | undefined,
  ) {
    this.headers = headers ?? EMPTY_HEADERS;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#isAborted) this.#controller.abort(this.#aborted);
    }
    return this.#controller.signal;
  }

  /** True once the request was cancelled. */
  get aborted(): boolean {
    return this.#isAborted;
  }

  /** Marks the request abandoned and aborts the signal if anyone holds it. */
  abort(reason: unknown): void {
    if (this.#isAborted) return;
    this.#isAborted = true;
    this.#aborted = reason;
    this.#controller?.abort(reason);
  }
}
