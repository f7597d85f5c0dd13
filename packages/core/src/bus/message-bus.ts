import { Observable, Subscription, isObservable } from '../rx.js';
import type { Subscriber } from 'rxjs';
import type { TimerHandle } from '../clock/index.js';
import type { Envelope, Headers } from '../envelope/index.js';
import { Kind, MAX_NAME_LENGTH, decodeMessageFrame, encodeMessageFrame, isHeaders, kindName, toErrorPayload } from '../envelope/index.js';
import { BusError, invalidArgument } from '../errors/index.js';
import { FrameReassembler, Fragmenter } from '../fragment/index.js';
import type { ReassemblerStats } from '../fragment/index.js';
import { TopicIndex, validatePattern, validateTopic } from '../topics/index.js';
import { checkTopic } from '../topics/topic-validation.js';
import type { InboundFrame, PeerEvent, PeerId, PeerInfo, Transport, TransportState } from '../transport/index.js';
import { FRAME_TAKEN, Transport as TransportClass, describeValue } from '../transport/index.js';
import { FrameType, WIRE_VERSION, frameType, frameVersion } from '../wire/index.js';
import type { Handler } from './handler-context.js';
import { RequestContext } from './handler-context.js';
import { IdTable } from './id-table.js';
import { ActiveHandlers, type ActiveCall } from './active-handlers.js';
import { MAX_PEER_CODE, MAX_PEER_MESSAGE, clip, quote } from './peer-text.js';
import { reassemblyOwner } from './reassembly-owner.js';
import type { MessageContext, MessageKindName, Middleware, MiddlewareSet } from './middleware.js';
import { runMiddleware } from './middleware.js';
import type { MessageBusOptions, ResolvedBusOptions } from './options.js';
import { checkTimeout, resolveBusOptions } from './options.js';

/** Options of one request. */
export interface RequestOptions {
  /** Milliseconds to wait for the (next) response; `Infinity` for none. Default: the bus's `defaultTimeout`. */
  timeout?: number;
  /** Aborting it cancels the request locally and on the handler's side. */
  signal?: AbortSignal;
  /** Headers for the handler (and middleware) to read. */
  headers?: Headers;
  /** The peer to ask; needed only on a transport with several peers (a server). */
  to?: PeerId;
}

/** Options of one published event. */
export interface PublishOptions {
  headers?: Headers;
}

/** An event as a subscriber receives it. */
export interface BusEvent<T = unknown> {
  readonly topic: string;
  readonly payload: T;
  readonly headers: Headers | undefined;
  /** Who published it; `undefined` for events published on this bus. */
  readonly peer: PeerInfo | undefined;
}

/** Counters of what a bus did and dropped, for metrics and tests. */
export interface BusStats {
  framesIn: number;
  framesOut: number;
  fragmentsOut: number;
  /** Frames dropped because they could not be decoded (`DECODE_FAILED`). */
  decodeFailed: number;
  /** Frames dropped because of another wire version. */
  unsupportedVersion: number;
  /** Peers disconnected by this bus for sending malformed frames. */
  peersDropped: number;
  requestsSent: number;
  requestsTimedOut: number;
  requestsCancelled: number;
  /** Responses for requests no longer waiting (late after a timeout or cancel). */
  lateResponses: number;
  requestsHandled: number;
  handlerErrors: number;
  noHandler: number;
  eventsPublished: number;
  eventsReceived: number;
  eventsRelayed: number;
  /** Messages a middleware chose not to pass on. */
  middlewareDropped: number;
  /** Requests answered `BUSY` because their peer had `maxActiveHandlersPerPeer` handlers running. */
  requestsBusy: number;
  /**
   * Requests not run because nothing could carry their answer: they came over
   * a one-way transport, or their peer left while inbound middleware held them.
   */
  requestsUnanswerable: number;
  pendingRequests: number;
  activeHandlers: number;
  reassembly: ReassemblerStats;
}

type Counters = Omit<BusStats, 'pendingRequests' | 'activeHandlers' | 'reassembly'>;

/** Where the answers to a call go: an rxjs Subscriber is one. */
interface CallSink {
  next(value: unknown): void;
  error(error: BusError): void;
  complete(): void;
}

/**
 * The sink of `request()`: the last value answers the promise. One object
 * per call rather than three closures, on every request's path.
 */
class PromiseSink implements CallSink {
  #last: unknown = undefined;
  constructor(
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: BusError) => void,
  ) {}

  next(value: unknown): void {
    this.#last = value;
  }

  error(error: BusError): void {
    this.reject(error);
  }

  complete(): void {
    this.resolve(this.#last);
  }
}

/** A call waiting for its response(s). */
interface PendingCall {
  readonly id: number;
  readonly method: string;
  readonly to: PeerId | undefined;
  readonly timeout: number;
  readonly sink: CallSink;
  timer: TimerHandle | undefined;
  detachSignal: (() => void) | undefined;
}

const KIND_TO_NAME: Readonly<Record<number, MessageKindName>> = {
  [Kind.Request]: 'request',
  [Kind.Response]: 'response',
  [Kind.Error]: 'error',
  [Kind.Event]: 'event',
  [Kind.Cancel]: 'cancel',
  [Kind.StreamNext]: 'stream-next',
  [Kind.StreamEnd]: 'stream-end',
  [Kind.Ping]: 'ping',
  [Kind.Pong]: 'pong',
};

const MAX_ID = 0xffffffff;

/**
 * The message bus: request/response (with streaming and cancellation),
 * pub/sub with NATS-style wildcards, and middleware, over any
 * {@link Transport}. Messages are encoded with a pluggable codec and
 * fragmented when the transport's frames are too small for them.
 *
 * @example
 * ```ts
 * const bus = new MessageBus(transport);
 * bus.handle('math.add', ({ a, b }: { a: number; b: number }) => a + b);
 * await bus.start();
 * const sum = await bus.request<number>('math.add', { a: 1, b: 2 });
 * ```
 */
export class MessageBus {
  /** The transport this bus sends through. The bus owns it and closes it. */
  readonly transport: Transport;
  readonly #o: ResolvedBusOptions;
  /** The checked options of every request made without options. */
  readonly #plainRequest: CheckedRequest;
  readonly #handlers = new Map<string, Handler<unknown, unknown>>();
  readonly #pending = new IdTable<PendingCall>();
  readonly #active: ActiveHandlers;
  readonly #subscriptions = new TopicIndex<Subscriber<BusEvent<unknown>>>();
  /** Every live subscriber, to complete them on close. */
  readonly #subscribers = new Set<Subscriber<BusEvent<unknown>>>();
  readonly #inbound: Middleware[] = [];
  readonly #outbound: Middleware[] = [];
  readonly #peers = new Map<PeerId, PeerInfo>();
  /** Peers this bus already dropped: one bad frame means one drop, not one per fragment. */
  readonly #rejected = new Set<PeerId>();
  readonly #fragmenter = new Fragmenter();
  readonly #reassembler: FrameReassembler;
  readonly #wiring = new Subscription();
  readonly #counters: Counters = {
    framesIn: 0,
    framesOut: 0,
    fragmentsOut: 0,
    decodeFailed: 0,
    unsupportedVersion: 0,
    peersDropped: 0,
    requestsSent: 0,
    requestsTimedOut: 0,
    requestsCancelled: 0,
    lateResponses: 0,
    requestsHandled: 0,
    handlerErrors: 0,
    noHandler: 0,
    eventsPublished: 0,
    eventsReceived: 0,
    eventsRelayed: 0,
    middlewareDropped: 0,
    requestsBusy: 0,
    requestsUnanswerable: 0,
  };
  /** True once the transport announced a peer: from then on, a peer not in #peers has left. */
  #peersReported = false;
  #nextId = 1;
  #starting: Promise<void> | undefined;
  #closed = false;

  /**
   * @param transport - where frames go; subscribe-before-start is handled here.
   * @param options - codec, clock, timeouts, limits, logger; see {@link MessageBusOptions}.
   */
  constructor(transport: Transport, options?: MessageBusOptions) {
    if (!(transport instanceof TransportClass)) {
      throw invalidArgument(`MessageBus needs a Transport, got ${describeValue(transport)}`);
    }
    this.transport = transport;
    this.#o = resolveBusOptions(options);
    this.#active = new ActiveHandlers(this.#o.maxActiveHandlersPerPeer, (peer) => this.#isLinked(peer));
    this.#plainRequest = { timeout: this.#o.defaultTimeout, signal: undefined, to: undefined, headers: undefined };
    this.#reassembler = new FrameReassembler({
      clock: this.#o.clock,
      maxMessageSize: this.#o.maxMessageSize,
      ...this.#o.reassembly,
      onDrop: (reason, source) => {
        // Loss, duplicates and eviction happen on honest links too; a fragment
        // that contradicts itself does not, so its sender is dropped.
        if (reason === 'malformed' || reason === 'inconsistent' || reason === 'too-large') {
          this.#rejectPeer({ id: source }, 'DECODE_FAILED', `bad fragment (${reason})`);
        } else {
          this.#o.logger.debug(`fragment dropped (${reason})`, { bus: this.#o.name, peer: source });
        }
      },
    });
    // Listening now, before start(), so that no frame is missed; onFrame, not
    // frames$, because it skips the Subject's allocation on every message.
    this.#wiring.add(transport.onFrame((frame) => this.#onFrame(frame)));
    this.#wiring.add(transport.peers$.subscribe((event) => this.#onPeer(event)));
    this.#wiring.add(transport.state$.subscribe((state) => this.#onState(state)));
  }

  /** Starts the transport. Idempotent; `request` and `publish` call it for you. */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new BusError('TRANSPORT_CLOSED', 'this bus is closed; create a new one'));
    this.#starting ??= this.transport.start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  /**
   * Closes the bus and its transport: pending requests fail with
   * `TRANSPORT_CLOSED`, running handlers are aborted, subscriptions complete.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return this.transport.close();
    this.#shutDown('the bus was closed');
    await this.transport.close();
  }

  /**
   * Registers the handler of `method`. Returns a function that unregisters it.
   * Throws `INVALID_ARGUMENT` for an empty method, a non-function handler or a
   * method that already has a handler.
   */
  handle<P = unknown, R = unknown>(method: string, handler: Handler<P, R>): () => void {
    checkName(method, 'method');
    if (typeof handler !== 'function') {
      throw invalidArgument(`handle('${method}', handler): handler must be a function, got ${describeValue(handler)}`);
    }
    if (this.#handlers.has(method)) {
      throw invalidArgument(`method '${method}' already has a handler; call the function handle() returned to remove it first`);
    }
    const h = handler as Handler<unknown, unknown>;
    this.#handlers.set(method, h);
    return () => {
      if (this.#handlers.get(method) === h) this.#handlers.delete(method);
    };
  }

  /** Adds middleware; it runs in the order added. Returns a remover. */
  use(middleware: MiddlewareSet): () => void {
    const { inbound, outbound } = (middleware ?? {}) as MiddlewareSet;
    if ((inbound !== undefined && typeof inbound !== 'function') || (outbound !== undefined && typeof outbound !== 'function') || (inbound === undefined && outbound === undefined)) {
      throw invalidArgument('use() takes { inbound?: fn, outbound?: fn } with at least one function');
    }
    if (inbound) this.#inbound.push(inbound);
    if (outbound) this.#outbound.push(outbound);
    return () => {
      if (inbound) removeItem(this.#inbound, inbound);
      if (outbound) removeItem(this.#outbound, outbound);
    };
  }

  /**
   * Calls `method` on a peer and resolves with its response (for a streaming
   * handler, the last value; use {@link MessageBus.request$} for all of them).
   * Rejects with `TIMEOUT`, `NO_HANDLER`, `REMOTE_ERROR`, `CANCELLED`,
   * `TRANSPORT_CLOSED`, `FRAME_TOO_LARGE`, `NOT_SUPPORTED` (one-way transport)
   * or `INVALID_ARGUMENT`.
   */
  request<R = unknown, P = unknown>(method: string, payload?: P, options?: RequestOptions): Promise<R> {
    let checked: CheckedRequest;
    try {
      checked = this.#checkRequest(method, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<R>((resolve, reject) => {
      this.#call(method, payload, checked, new PromiseSink(resolve as (value: unknown) => void, reject));
    });
  }

  /**
   * Calls `method` and emits every value the handler returns: one for a
   * plain or Promise result, several for an Observable. Unsubscribing before
   * it completes cancels the handler on the remote side. Nothing is sent
   * until subscription. Throws `INVALID_ARGUMENT` at once for bad arguments.
   */
  request$<R = unknown, P = unknown>(method: string, payload?: P, options?: RequestOptions): Observable<R> {
    const checked = this.#checkRequest(method, options);
    return new Observable<R>((subscriber) => {
      // Values are the handler's, typed R by the caller's word, as request()'s are.
      const id = this.#call(method, payload, checked, subscriber as Subscriber<unknown>);
      return () => this.#abandon(id);
    });
  }

  /**
   * Publishes an event on `topic` (dot-separated tokens, no wildcards) to
   * every peer, and to this bus's own subscribers unless `localDelivery` is
   * off. Resolves when the transport took it.
   */
  async publish<T = unknown>(topic: string, payload?: T, options?: PublishOptions): Promise<void> {
    validateTopic(topic);
    const headers = checkHeaders(options?.headers);
    this.#assertOpen('publish');
    this.#counters.eventsPublished++;
    const envelope: Envelope = { kind: Kind.Event, id: 0, name: topic, payload, headers };
    if (this.#o.localDelivery) this.#deliverEvent(envelope, undefined);
    await this.start();
    await this.#send(envelope, undefined);
  }

  /**
   * Events whose topic matches `pattern`: `*` matches one token, `>` the rest
   * (`orders.*.created`, `orders.>`). Throws `INVALID_ARGUMENT` for a bad
   * pattern such as `a.>.b`. Completes when the bus closes.
   */
  subscribe<T = unknown>(pattern: string): Observable<BusEvent<T>> {
    validatePattern(pattern);
    return new Observable<BusEvent<T>>((subscriber) => {
      if (this.#closed) {
        subscriber.complete();
        return undefined;
      }
      const s = subscriber as Subscriber<BusEvent<unknown>>;
      const remove = this.#subscriptions.add(pattern, s);
      this.#subscribers.add(s);
      return () => {
        remove();
        this.#subscribers.delete(s);
      };
    });
  }

  /**
   * Measures a round trip to a peer (ms, on the bus's clock). The remote bus
   * answers itself, without any handler.
   */
  ping(options?: Pick<RequestOptions, 'timeout' | 'to' | 'signal'>): Promise<number> {
    const started = this.#o.clock.now();
    let checked: CheckedRequest;
    try {
      checked = this.#checkRequest('$ping', options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const sink: CallSink = { next: () => {}, error: reject, complete: () => resolve(this.#o.clock.now() - started) };
      this.#call('$ping', undefined, checked, sink, Kind.Ping);
    });
  }

  /** Counters of traffic and drops, as a fresh object. */
  stats(): BusStats {
    return {
      ...this.#counters,
      pendingRequests: this.#pending.size,
      activeHandlers: this.#active.size,
      reassembly: this.#reassembler.stats(),
    };
  }

  // ---------------------------------------------------------------- requests

  #checkRequest(method: string, options: RequestOptions | undefined): CheckedRequest {
    checkName(method, 'method');
    if (options === undefined) return this.#plainRequest;
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`request('${method}'): options must be an object`);
    }
    const timeout = options.timeout === undefined ? this.#o.defaultTimeout : checkTimeout(options.timeout, `request('${method}') timeout`);
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw invalidArgument(`request('${method}'): signal must be an AbortSignal`);
    }
    const to = options.to;
    if (to !== undefined && (typeof to !== 'string' || to.length === 0)) {
      throw invalidArgument(`request('${method}'): 'to' must be a peer id string`);
    }
    return { timeout, signal, to, headers: checkHeaders(options.headers) };
  }

  /** Registers a pending call and sends the request; returns its id. */
  #call(
    method: string,
    payload: unknown,
    checked: CheckedRequest,
    sink: CallSink,
    kind: Kind = Kind.Request,
  ): number {
    if (this.#closed) {
      sink.error(new BusError('TRANSPORT_CLOSED', `cannot call '${method}': the bus is closed`));
      return 0;
    }
    if (!this.transport.capabilities.duplex) {
      sink.error(new BusError('NOT_SUPPORTED', `cannot call '${method}': this transport is one-way (no responses); use publish() or a duplex transport such as a named pipe`));
      return 0;
    }
    if (checked.signal?.aborted) {
      sink.error(new BusError('CANCELLED', `request '${method}' was cancelled before it was sent`, { cause: checked.signal.reason }));
      return 0;
    }
    const id = this.#allocateId();
    const call: PendingCall = { id, method, to: checked.to, timeout: checked.timeout, sink, timer: undefined, detachSignal: undefined };
    this.#pending.set(id, call);
    this.#armTimer(call);
    const signal = checked.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (this.#settle(id) === undefined) return;
        this.#counters.requestsCancelled++;
        this.#sendCancel(call);
        sink.error(new BusError('CANCELLED', `request '${method}' was cancelled`, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      call.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    this.#counters.requestsSent++;
    const envelope: Envelope = { kind, id, name: method, payload, headers: checked.headers };
    const sent = this.#starting !== undefined && this.transport.state === 'open' ? this.#send(envelope, checked.to) : this.start().then(() => this.#send(envelope, checked.to));
    // Nothing can fail once the transport took the frame: no reaction to queue then.
    if (sent === FRAME_TAKEN) return id;
    sent.catch((failure: unknown) => {
      if (this.#settle(id) === undefined) return;
      sink.error(BusError.is(failure) ? failure : new BusError('INTERNAL', `sending '${method}' failed: ${String(failure)}`, { cause: failure }));
    });
    return id;
  }

  #allocateId(): number {
    // Skip ids still in use after a wrap-around (a request pending for 4 billion calls).
    do {
      const id = this.#nextId;
      this.#nextId = id === MAX_ID ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    } while (true);
  }

  #armTimer(call: PendingCall): void {
    if (call.timeout === Infinity) return;
    call.timer = this.#o.clock.setTimeout(() => {
      call.timer = undefined;
      if (this.#settle(call.id) === undefined) return;
      this.#counters.requestsTimedOut++;
      this.#sendCancel(call);
      call.sink.error(new BusError('TIMEOUT', `no response to '${call.method}' within ${call.timeout} ms; is the handler running and reachable? Raise 'timeout' for slow work`, {
        details: { method: call.method, timeout: call.timeout },
      }));
    }, call.timeout);
  }

  /** Removes a pending call and its timer and signal listener; returns it if it was pending. */
  #settle(id: number): PendingCall | undefined {
    const call = this.#pending.get(id);
    if (call === undefined) return undefined;
    this.#pending.delete(id);
    if (call.timer !== undefined) this.#o.clock.clearTimeout(call.timer);
    call.detachSignal?.();
    return call;
  }

  /** The caller unsubscribed: forget the call and tell the handler to stop. */
  #abandon(id: number): void {
    const call = this.#settle(id);
    if (call === undefined) return;
    this.#counters.requestsCancelled++;
    this.#sendCancel(call);
  }

  #sendCancel(call: PendingCall): void {
    if (this.#closed || this.transport.state !== 'open') return;
    this.#send({ kind: Kind.Cancel, id: call.id, name: call.method, payload: undefined, headers: undefined }, call.to).catch((error: unknown) =>
      this.#o.logger.debug('could not send cancel', { bus: this.#o.name, method: call.method, error: String(error) }),
    );
  }

  #onReply(envelope: Envelope, peer: PeerInfo): void {
    const call = this.#pending.get(envelope.id);
    if (call === undefined || (call.to !== undefined && call.to !== peer.id)) {
      if (envelope.kind === Kind.Error && envelope.id === 0) {
        const e = toErrorPayload(envelope.payload);
        this.#o.logger.warn(`peer reported a protocol error: ${clip(e.code, MAX_PEER_CODE)}: ${clip(e.message, MAX_PEER_MESSAGE)}`, { bus: this.#o.name, peer: peer.id });
        return;
      }
      this.#counters.lateResponses++;
      return;
    }
    switch (envelope.kind) {
      case Kind.StreamNext:
        if (call.timer !== undefined) this.#o.clock.clearTimeout(call.timer);
        this.#armTimer(call);
        call.sink.next(envelope.payload);
        return;
      case Kind.Response:
      case Kind.Pong:
        this.#settle(call.id);
        call.sink.next(envelope.payload);
        call.sink.complete();
        return;
      case Kind.StreamEnd:
        this.#settle(call.id);
        call.sink.complete();
        return;
      case Kind.Error:
        this.#settle(call.id);
        call.sink.error(remoteError(call.method, envelope.payload));
        return;
    }
  }

  /** Fails every pending call sent to `peer` (or to the default peer). */
  #failCallsTo(peer: PeerId | undefined, reason: string): void {
    for (const call of this.#pending.values()) {
      if (peer !== undefined && call.to !== undefined && call.to !== peer) continue;
      if (peer !== undefined && call.to === undefined && this.#peers.size > 0) continue;
      this.#settle(call.id);
      call.sink.error(new BusError('TRANSPORT_CLOSED', `'${call.method}' failed: ${reason}`, { details: { method: call.method } }));
    }
  }

  // ---------------------------------------------------------------- handlers

  #onRequest(envelope: Envelope, peer: PeerInfo): void {
    const handler = this.#handlers.get(envelope.name);
    if (handler === undefined) {
      this.#counters.noHandler++;
      const method = quote(envelope.name);
      this.#reply(envelope, peer, Kind.Error, {
        code: 'NO_HANDLER',
        message: `no handler for ${method} on ${this.#o.name}; register one with bus.handle(method, fn)`,
        origin: 'bus',
      });
      return;
    }
    // Admitted before the call, so that a reused id or a peer over its share
    // is refused before any work; entered only if the handler goes on.
    const refusal = this.#active.admit(peer.id, envelope.id);
    if (refusal !== undefined) {
      this.#refuse(envelope, peer, refusal);
      return;
    }
    this.#counters.requestsHandled++;
    const context = new RequestContext(envelope.name, envelope.id, peer, envelope.headers);
    let result: unknown;
    try {
      result = handler(envelope.payload, context);
    } catch (error) {
      this.#replyError(envelope, peer, error);
      return;
    }
    if (isObservable(result)) {
      const active = this.#enter(envelope, peer, context);
      if (active === undefined) return;
      active.subscription = result.subscribe({
        next: (value) => this.#reply(envelope, peer, Kind.StreamNext, value),
        error: (error: unknown) => {
          if (this.#active.leave(peer.id, active)) this.#replyError(envelope, peer, error);
        },
        complete: () => {
          if (this.#active.leave(peer.id, active)) this.#reply(envelope, peer, Kind.StreamEnd, undefined);
        },
      });
      return;
    }
    if (isPromiseLike(result)) {
      const active = this.#enter(envelope, peer, context);
      if (active === undefined) return;
      result.then(
        (value) => {
          if (this.#active.leave(peer.id, active)) this.#reply(envelope, peer, Kind.Response, value);
        },
        (error: unknown) => {
          if (this.#active.leave(peer.id, active)) this.#replyError(envelope, peer, error);
        },
      );
      return;
    }
    this.#reply(envelope, peer, Kind.Response, result);
  }

  /**
   * Enters a request before inbound middleware runs: refused (null) as a
   * handler would be, when its id is in use or its peer at its cap.
   */
  #hold(envelope: Envelope, peer: PeerInfo): ActiveCall | null {
    const refusal = this.#active.admit(peer.id, envelope.id);
    const held = refusal === undefined ? this.#active.enter(peer.id, envelope.id, new RequestContext(envelope.name, envelope.id, peer, envelope.headers)) : undefined;
    if (held === undefined) this.#refuse(envelope, peer, refusal ?? 'duplicate');
    return held ?? null;
  }

  /** Enters a handler that goes on after its call; a duplicate that slipped in meanwhile is aborted and its peer dropped. */
  #enter(envelope: Envelope, peer: PeerInfo, context: RequestContext): ActiveCall | undefined {
    const active = this.#active.enter(peer.id, envelope.id, context);
    if (active === undefined) {
      context.abort(new BusError('CANCELLED', `request id ${envelope.id} was reused while its handler ran`));
      this.#refuse(envelope, peer, 'duplicate');
    }
    return active;
  }

  /**
   * Whether a request from `peer` can be answered: not on a one-way
   * transport, nor for a peer that already left (a request held by async
   * middleware past its peer's disconnect), where transports report peers.
   */
  #isLinked(peer: PeerId): boolean {
    return this.transport.capabilities.duplex && (!this.#peersReported || this.#peers.has(peer));
  }

  /** A request that may not run: a reused id drops its peer, one too many is answered `BUSY`. */
  #refuse(envelope: Envelope, peer: PeerInfo, why: 'duplicate' | 'busy' | 'unlinked'): void {
    if (why === 'unlinked') {
      this.#counters.requestsUnanswerable++;
      if (!this.transport.capabilities.duplex) {
        this.#rejectPeer(peer, 'DECODE_FAILED', 'sent a request over a one-way transport, which cannot carry the answer');
      }
      return;
    }
    if (why === 'duplicate') {
      // A caller never reuses an id still in flight, nor one it cancelled whose
      // handler has not settled (ids skip pending ones and wrap only after
      // 2^32 calls): only a broken or hostile peer does.
      this.#rejectPeer(peer, 'DECODE_FAILED', `request id ${envelope.id} is already running for this peer; a caller must not reuse the id of a call in flight`);
      return;
    }
    this.#counters.requestsBusy++;
    this.#reply(envelope, peer, Kind.Error, {
      code: 'BUSY',
      message: `this peer already has ${this.#o.maxActiveHandlersPerPeer} handlers running on ${this.#o.name} (maxActiveHandlersPerPeer); retry when some finish, or raise that option on the handling bus`,
      origin: 'bus',
    });
  }

  #onCancel(envelope: Envelope, peer: PeerInfo): void {
    this.#active.cancel(peer.id, envelope.id, new BusError('CANCELLED', `the caller cancelled ${quote(envelope.name)}`));
  }

  /** Aborts the handlers working for `peer` (all when undefined). */
  #abortHandlers(peer: PeerId | undefined, reason: string): void {
    this.#active.abort(peer, reason);
  }

  #reply(request: Envelope, peer: PeerInfo, kind: Kind, payload: unknown): void {
    if (this.#closed) return;
    const sent = this.#send({ kind, id: request.id, name: request.name, payload, headers: undefined }, peer.id);
    if (sent === FRAME_TAKEN) return;
    sent.catch((error: unknown) => {
      if (BusError.is(error, 'FRAME_TOO_LARGE') || BusError.is(error, 'INVALID_ARGUMENT')) {
        // The answer itself cannot travel: tell the caller why instead of letting it time out.
        this.#replyError(request, peer, error);
        return;
      }
      this.#o.logger.warn(`could not answer ${quote(request.name)}`, { bus: this.#o.name, peer: peer.id, error: String(error) });
    });
  }

  #replyError(request: Envelope, peer: PeerInfo, error: unknown, origin: 'bus' | 'handler' = 'handler'): void {
    this.#counters.handlerErrors++;
    const e = error as { code?: unknown; message?: unknown; details?: unknown } | null;
    const code = e !== null && typeof e === 'object' && typeof e.code === 'string' ? e.code : 'HANDLER_ERROR';
    const message = e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(error);
    const details = e !== null && typeof e === 'object' && e.details !== null && typeof e.details === 'object' ? e.details : undefined;
    this.#send(
      { kind: Kind.Error, id: request.id, name: request.name, payload: { code, message, origin, ...(details && { details }) }, headers: undefined },
      peer.id,
    ).catch((failure: unknown) => this.#o.logger.warn(`could not send error for ${quote(request.name)}`, { bus: this.#o.name, error: String(failure) }));
  }

  // ------------------------------------------------------------------ events

  #deliverEvent(envelope: Envelope, peer: PeerInfo | undefined): void {
    const subscribers = this.#subscriptions.match(envelope.name);
    if (subscribers.length === 0) return;
    const event: BusEvent<unknown> = { topic: envelope.name, payload: envelope.payload, headers: envelope.headers, peer };
    for (const subscriber of subscribers) subscriber.next(event);
  }

  #relay(frame: Uint8Array, from: PeerInfo): void {
    let own: Uint8Array | undefined;
    for (const peer of this.#peers.keys()) {
      if (peer === from.id) continue;
      this.#counters.eventsRelayed++;
      // A frame cut out of a larger read keeps that whole read alive while it
      // waits for a slow peer, which is charged only the frame's bytes: queue
      // a copy of just the frame, made once and shared by every peer.
      own ??= frame.byteLength < frame.buffer.byteLength ? new Uint8Array(frame) : frame;
      this.#sendFrame(own, peer).catch((error: unknown) =>
        this.#o.logger.debug('relay failed', { bus: this.#o.name, peer, error: String(error) }),
      );
    }
  }

  // ------------------------------------------------------------- frames in

  #onFrame({ data, peer }: InboundFrame): void {
    this.#counters.framesIn++;
    // A peer being dropped may still have frames in flight (the rest of a
    // read, a flood of bad requests): they are ignored, not served.
    if (this.#rejected.size !== 0 && this.#rejected.has(peer.id)) return;
    if (frameVersion(data) !== WIRE_VERSION) {
      this.#counters.unsupportedVersion++;
      this.#rejectPeer(peer, 'UNSUPPORTED_VERSION', `frame uses wire version ${frameVersion(data)}; this peer speaks version ${WIRE_VERSION}`);
      return;
    }
    let message: Uint8Array | undefined = data;
    if (frameType(data) === FrameType.Fragment) {
      if (this.#fragmentsNeedless()) {
        this.#counters.decodeFailed++;
        this.#rejectPeer(peer, 'DECODE_FAILED', `sent a fragment frame over a reliable transport whose frames hold ${this.transport.capabilities.maxFrameSize} bytes, enough for any message (maxMessageSize ${this.#o.maxMessageSize}); a pipebus peer never fragments there`);
        return;
      }
      message = this.#reassembler.push(data, peer.id, reassemblyOwner(peer));
      if (message === undefined) return;
    }
    let envelope: Envelope;
    try {
      envelope = decodeMessageFrame(message, this.#o.codecs);
    } catch (error) {
      const e = error as BusError;
      if (e.code === 'UNSUPPORTED_VERSION') this.#counters.unsupportedVersion++;
      else this.#counters.decodeFailed++;
      this.#rejectPeer(peer, e.code, e.message);
      return;
    }
    if (this.#inbound.length === 0) {
      this.#dispatch(envelope, peer, message);
      return;
    }
    // A request waiting in (async) middleware holds one of its peer's
    // handler slots, so that a peer cannot park any number of them there.
    const held = envelope.kind === Kind.Request ? this.#hold(envelope, peer) : undefined;
    if (held === null) return;
    const context = toContext('inbound', envelope, peer);
    const pass = (): void => {
      // Gone from the table: cancelled meanwhile, or its peer left (then nothing can carry an answer).
      if (held !== undefined && !this.#active.leave(peer.id, held)) {
        if (!held.cancelled) this.#counters.requestsUnanswerable++;
        return;
      }
      this.#dispatch(fromContext(envelope, context), peer, message);
    };
    runMiddleware(this.#inbound, context, pass).then(
      (passed) => {
        if (!passed) this.#counters.middlewareDropped++;
        if (held !== undefined) this.#active.leave(peer.id, held);
      },
      (error: unknown) => {
        this.#counters.middlewareDropped++;
        if (held !== undefined) this.#active.leave(peer.id, held);
        // Refused after its caller cancelled it: nobody waits for the answer.
        if (held?.cancelled === true) return;
        if (envelope.kind === Kind.Request) {
          // A refusal by this bus (ACCESS_DENIED…) reaches the caller with its own code.
          this.#replyError(envelope, peer, error, BusError.is(error) ? 'bus' : 'handler');
        } else {
          this.#o.logger.warn(`inbound middleware refused a ${kindName(envelope.kind)} message`, { bus: this.#o.name, name: quote(envelope.name), error: String(error) });
        }
      },
    );
  }

  #dispatch(envelope: Envelope, peer: PeerInfo, frame: Uint8Array): void {
    switch (envelope.kind) {
      case Kind.Request:
        this.#onRequest(envelope, peer);
        return;
      case Kind.Response:
      case Kind.StreamNext:
      case Kind.StreamEnd:
      case Kind.Error:
      case Kind.Pong:
        this.#onReply(envelope, peer);
        return;
      case Kind.Cancel:
        this.#onCancel(envelope, peer);
        return;
      case Kind.Event:
        if (!isValidTopic(envelope.name)) {
          // A peer's topic reaches TopicIndex as data: a wildcard in it would match like a pattern.
          this.#counters.decodeFailed++;
          this.#rejectPeer(peer, 'DECODE_FAILED', `event topic ${JSON.stringify(envelope.name.slice(0, 80))} is not a valid topic`);
          return;
        }
        this.#counters.eventsReceived++;
        this.#deliverEvent(envelope, peer);
        if (this.#o.relay) this.#relay(frame, peer);
        return;
      case Kind.Ping:
        this.#reply(envelope, peer, Kind.Pong, undefined);
        return;
      case Kind.Hello:
        return;
    }
  }

  /**
   * A peer sent something this bus cannot read: count it, log it, tell the
   * peer where the transport can answer it, and disconnect it — a peer that
   * speaks garbage once will most likely keep doing so.
   */
  #rejectPeer(peer: PeerInfo, code: string, detail: string): void {
    if (this.#rejected.has(peer.id)) return;
    // The detail may quote the peer's bytes (a decoder's message): cut it for the log and the reply.
    const message = clip(detail, MAX_PEER_MESSAGE);
    this.#o.logger.warn(`dropped a frame from ${peer.id}: ${message}`, { bus: this.#o.name, peer: peer.id, code });
    // Transports without per-peer links cannot drop anyone; remembering such a
    // peer would silence every later warning about it, so only linked peers
    // are, and only while connected: a peer that already left would stay
    // in the set for good (its disconnect, which clears it, is past).
    if (this.transport.capabilities.duplex && (!this.#peersReported || this.#peers.has(peer.id))) this.#rejected.add(peer.id);
    this.#counters.peersDropped++;
    const drop = (): void => this.transport.dropPeer(peer.id, `${code}: ${message}`);
    if (!this.transport.capabilities.duplex || this.transport.state !== 'open') {
      drop();
      return;
    }
    // Tell first, then drop: the peer learns why before its link goes.
    this.#send({ kind: Kind.Error, id: 0, name: '', payload: { code, message, origin: 'bus' }, headers: undefined }, peer.id).then(drop, drop);
  }

  /**
   * True where this bus would never fragment (#sendFrame): a reliable
   * transport whose frames hold the largest message. A fragment there only
   * makes the reassembler hold memory for a peer that needs none.
   */
  #fragmentsNeedless(): boolean {
    const { reliable, maxFrameSize } = this.transport.capabilities;
    return reliable && maxFrameSize >= this.#o.maxMessageSize;
  }

  #onPeer(event: PeerEvent): void {
    if (event.type === 'connected') {
      this.#peersReported = true;
      this.#peers.set(event.peer.id, event.peer);
      return;
    }
    this.#peers.delete(event.peer.id);
    this.#rejected.delete(event.peer.id);
    this.#reassembler.forgetSender(event.peer.id);
    const reason = `peer ${event.peer.id} disconnected${event.reason ? ` (${event.reason})` : ''}`;
    this.#failCallsTo(event.peer.id, reason);
    this.#abortHandlers(event.peer.id, reason);
  }

  #onState(state: TransportState): void {
    if (state === 'reconnecting') {
      this.#peers.clear();
      // The new link starts clean, whatever the old one sent.
      this.#rejected.clear();
      this.#failCallsTo(undefined, 'the transport lost its link and is reconnecting');
      this.#abortHandlers(undefined, 'the transport lost its link');
    } else if (state === 'closed' && !this.#closed) {
      this.#shutDown('the transport closed');
    }
  }

  #shutDown(reason: string): void {
    this.#closed = true;
    this.#failCallsTo(undefined, reason);
    this.#abortHandlers(undefined, reason);
    for (const subscriber of [...this.#subscribers]) subscriber.complete();
    this.#reassembler.close();
    this.#wiring.unsubscribe();
  }

  // ------------------------------------------------------------ frames out

  #assertOpen(operation: string): void {
    if (this.#closed) throw new BusError('TRANSPORT_CLOSED', `cannot ${operation}: the bus is closed`);
  }

  /** Runs outbound middleware, encodes and sends (fragmenting when needed). */
  #send(envelope: Envelope, to: PeerId | undefined): Promise<void> {
    if (this.#outbound.length === 0) return this.#encodeAndSend(envelope, to);
    const context = toContext('outbound', envelope, to === undefined ? undefined : (this.#peers.get(to) ?? { id: to }));
    return runMiddleware(this.#outbound, context, () => this.#encodeAndSend(fromContext(envelope, context), to)).then((passed) => {
      if (!passed) this.#counters.middlewareDropped++;
    });
  }

  #encodeAndSend(envelope: Envelope, to: PeerId | undefined): Promise<void> {
    let frame: Uint8Array;
    try {
      frame = encodeMessageFrame(envelope, this.#o.codec);
    } catch (error) {
      return Promise.reject(error);
    }
    if (frame.byteLength > this.#o.maxMessageSize) {
      return Promise.reject(
        new BusError('FRAME_TOO_LARGE', `${kindName(envelope.kind)} '${envelope.name}' encodes to ${frame.byteLength} bytes, above maxMessageSize ${this.#o.maxMessageSize}; send less or raise the bus's maxMessageSize`, {
          details: { size: frame.byteLength, max: this.#o.maxMessageSize },
        }),
      );
    }
    return this.#sendFrame(frame, to);
  }

  #sendFrame(frame: Uint8Array, to: PeerId | undefined): Promise<void> {
    const { maxFrameSize: max, reliable } = this.transport.capabilities;
    // On an unreliable transport even a small message travels as a one-fragment
    // frame (18 bytes more): the reassembler then drops the duplicates that a
    // domain broadcast delivers once per network protocol installed.
    if (reliable && frame.byteLength <= max) {
      this.#counters.framesOut++;
      // The transport's own promise, not an async wrapper's: this is every message's path.
      return this.transport.send(frame, to);
    }
    return this.#sendFragments(frame, to, max);
  }

  async #sendFragments(frame: Uint8Array, to: PeerId | undefined, max: number): Promise<void> {
    for (const fragment of this.#fragmenter.split(frame, max)) {
      this.#counters.fragmentsOut++;
      await this.transport.send(fragment, to);
    }
    this.#counters.framesOut++;
  }
}

interface CheckedRequest {
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  readonly to: PeerId | undefined;
  readonly headers: Headers | undefined;
}

function remoteError(method: string, payload: unknown): BusError {
  const e = toErrorPayload(payload);
  // The remote's code and message are its words: cut in this error's message
  // (callers log it); remoteMessage keeps the whole text for those who need it.
  if (e.origin === 'bus' && BusError.isCode(e.code)) {
    return new BusError(e.code, clip(e.message, MAX_PEER_MESSAGE), { details: { method, ...(e.details ?? {}) } });
  }
  return new BusError('REMOTE_ERROR', `'${method}' failed on the remote side: ${clip(e.code, MAX_PEER_CODE)}: ${clip(e.message, MAX_PEER_MESSAGE)}`, {
    remoteCode: e.code,
    details: { method, remoteMessage: e.message, ...(e.details ?? {}) },
  });
}

function isValidTopic(topic: string): boolean {
  return checkTopic(topic) === undefined;
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw invalidArgument(`${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${describeValue(name)}`);
  }
}

function checkHeaders(headers: unknown): Headers | undefined {
  if (headers === undefined) return undefined;
  if (!isHeaders(headers)) throw invalidArgument('headers must be a plain object of string values');
  return headers;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function toContext(direction: 'inbound' | 'outbound', envelope: Envelope, peer: PeerInfo | undefined): MessageContext {
  return {
    direction,
    kind: KIND_TO_NAME[envelope.kind] ?? 'request',
    id: envelope.id,
    name: envelope.name,
    payload: envelope.payload,
    headers: envelope.headers,
    peer,
  };
}

function fromContext(envelope: Envelope, context: MessageContext): Envelope {
  if (context.payload === envelope.payload && context.headers === envelope.headers) return envelope;
  const headers = checkHeaders(context.headers);
  return { ...envelope, payload: context.payload, headers };
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
