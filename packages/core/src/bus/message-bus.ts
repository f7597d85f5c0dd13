import type { Observable } from '../rx.js';
import { Subscription } from '../rx.js';
import { BusError, invalidArgument } from '../errors/bus-error.js';
import type { PeerEvent, Transport, TransportState } from '../transport/index.js';
import { Transport as TransportClass, describeValue } from '../transport/transport.js';
import { Caller } from './caller.js';
import { EventRouter, type BusEvent, type PublishOptions, type SubscribeOptions } from './event-router.js';
import type { Handler } from './handler-context.js';
import { Inbox } from './inbox.js';
import { BusLifecycle } from './lifecycle.js';
import type { Middleware, MiddlewareSet } from './middleware.js';
import type { MessageBusOptions, ResolvedBusOptions } from './options.js';
import { resolveBusOptions } from './options.js';
import { Outbox } from './outbox.js';
import { PeerGuard } from './peer-guard.js';
import { PeerTable } from './peer-table.js';
import type { RequestOptions } from './request-options.js';
import { Responder, type HandleOptions } from './responder.js';
import { newCounters, type BusStats, type Counters } from './stats.js';

export type { RequestOptions } from './request-options.js';
export type { BusEvent, PublishOptions, SubscribeOptions } from './event-router.js';
export type { HandleOptions } from './responder.js';
export type { BusStats } from './stats.js';

/** What the bus calls on its transport, checked once in its constructor. */
const TRANSPORT_MEMBERS = ['onFrame', 'start', 'send', 'close'] as const;

/**
 * The message bus: request/response (with streaming and cancellation),
 * pub/sub with NATS-style wildcards, and middleware, over any
 * {@link Transport}. Messages are encoded with a pluggable codec and
 * fragmented when the transport's frames are too small for them.
 *
 * A façade: each job is one part, and the parts call each other in one
 * direction only — `Inbox` → `Caller` / `Responder` / `EventRouter` →
 * `PeerGuard` → `Outbox` → the transport, all reading the leaves
 * (`BusLifecycle`, `PeerTable`, the counters). This class builds them, wires
 * the transport to them, and reacts to peers and state, which concern them all.
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
  readonly #counters: Counters = newCounters();
  readonly #lifecycle: BusLifecycle;
  readonly #inbound: Middleware[] = [];
  readonly #outbound: Middleware[] = [];
  readonly #guard: PeerGuard;
  readonly #caller: Caller;
  readonly #responder: Responder;
  readonly #router: EventRouter;
  readonly #inbox: Inbox;
  readonly #wiring = new Subscription();

  /**
   * @param transport - where frames go; subscribe-before-start is handled here.
   * @param options - codec, clock, timeouts, limits, logger; see {@link MessageBusOptions}.
   */
  constructor(transport: Transport, options?: MessageBusOptions) {
    if (!(transport instanceof TransportClass)) {
      throw invalidArgument(`MessageBus needs a Transport, got ${describeValue(transport)}`);
    }
    // The brand (shared by every copy of core) says Transport; a copy of
    // another version, or an object that only copied the brand, may still
    // lack what the bus calls: say so here rather than fail on first use.
    const missing = TRANSPORT_MEMBERS.filter((member) => typeof (transport as unknown as Record<string, unknown>)[member] !== 'function');
    if (missing.length > 0 || typeof transport.state$?.subscribe !== 'function' || typeof transport.peers$?.subscribe !== 'function') {
      const what = [...missing.map((m) => `${m}()`), ...(typeof transport.state$?.subscribe === 'function' ? [] : ['state$']), ...(typeof transport.peers$?.subscribe === 'function' ? [] : ['peers$'])];
      throw invalidArgument(`MessageBus needs a Transport, got ${describeValue(transport)} that has the Transport brand but no ${what.join(', ')} (a copy of another @pipebus/core version?)`);
    }
    this.transport = transport;
    const o = (this.#o = resolveBusOptions(options));
    if (o.relay && transport.capabilities.routed === true) {
      // Relay re-sends a peer's frame, which has no route a routed transport could send it by.
      throw new BusError(
        'NOT_SUPPORTED',
        "relay: true is not possible on a routed transport (capabilities.routed, such as transport-nats): the network already delivers each event to every subscriber; drop the relay option",
      );
    }
    const counters = this.#counters;
    // Built from the bottom up: each part gets only the parts below it.
    const lifecycle = (this.#lifecycle = new BusLifecycle(transport));
    const peers = new PeerTable(transport);
    const outbox = new Outbox(transport, o, counters, peers, this.#outbound);
    const guard = (this.#guard = new PeerGuard(transport, o, counters, peers, outbox));
    this.#caller = new Caller(transport, o, counters, lifecycle, peers, outbox);
    this.#responder = new Responder(transport, o, counters, lifecycle, peers, guard, outbox);
    this.#router = new EventRouter(transport, o, counters, lifecycle, peers, guard, outbox);
    this.#inbox = new Inbox(transport, o, counters, guard, this.#caller, this.#responder, this.#router, this.#inbound);
    // Listening now, before start(), so that no frame is missed; onFrame, not
    // frames$, because it skips the Subject's allocation on every message.
    this.#wiring.add(transport.onFrame((frame) => this.#inbox.receive(frame)));
    this.#wiring.add(transport.peers$.subscribe((event) => this.#onPeer(event)));
    this.#wiring.add(transport.state$.subscribe((state) => this.#onState(state)));
  }

  /** Starts the transport. Idempotent; `request` and `publish` call it for you. */
  start(): Promise<void> {
    return this.#lifecycle.start();
  }

  /**
   * Closes the bus and its transport: pending requests fail with
   * `TRANSPORT_CLOSED`, running handlers are aborted, subscriptions complete.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#lifecycle.closed) return this.transport.close();
    this.#shutDown('the bus was closed');
    await this.transport.close();
  }

  /**
   * Registers the handler of `method`. Returns a function that unregisters it.
   * Throws `INVALID_ARGUMENT` for an empty method, a non-function handler or a
   * method that already has a handler; `TRANSPORT_CLOSED` on a closed bus;
   * `NOT_SUPPORTED` on a one-way transport (`capabilities.duplex` false, such
   * as a mailslot), where no request could reach the handler. A handler that
   * throws or rejects reaches the caller as a `REMOTE_ERROR` whose
   * `remoteCode` is the thrown `BusError`'s code, or `HANDLER_ERROR` for any
   * other error. A result the codec would not carry faithfully (see
   * {@link MessageBus.request}) reaches the caller as a `REMOTE_ERROR` with
   * `remoteCode: 'INVALID_ARGUMENT'` naming the path (`reply.cb is a
   * function`), and is logged as a warning here; a stream ends at such a value.
   * `options.queue` puts the handler in a queue group on a routed transport
   * (NATS: one handler of the group gets each request); elsewhere it throws
   * `NOT_SUPPORTED`.
   */
  handle<P = unknown, R = unknown>(method: string, handler: Handler<P, R>, options?: HandleOptions): () => void {
    return this.#responder.handle(method, handler as Handler<unknown, unknown>, options);
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
   *
   * With the built-in codecs, a payload they would not carry faithfully
   * fails with `INVALID_ARGUMENT` naming the path (`payload.items[3].cb is a
   * function`) before anything is sent: functions, Symbols, Promises,
   * WeakMap/WeakSet/WeakRef, and instances of a class with no own enumerable
   * field and no `toJSON()` (their state is `#private` or in getters, so they
   * would arrive as `{}`), or nesting deeper than 2048 levels (a cycle).
   * A class instance with public fields goes as a plain object of them.
   */
  request<R = unknown, P = unknown>(method: string, payload?: P, options?: RequestOptions): Promise<R> {
    // The response is the handler's, typed R by the caller's word.
    return this.#caller.request(method, payload, options) as Promise<R>;
  }

  /**
   * Calls `method` and emits every value the handler returns: one for a
   * plain or Promise result, several for an Observable. Unsubscribing before
   * it completes cancels the handler on the remote side. Nothing is sent
   * until subscription. Throws `INVALID_ARGUMENT` at once for bad arguments.
   */
  request$<R = unknown, P = unknown>(method: string, payload?: P, options?: RequestOptions): Observable<R> {
    // Values are the handler's, typed R by the caller's word, as request()'s are.
    return this.#caller.request$(method, payload, options) as Observable<R>;
  }

  /**
   * Publishes an event on `topic` (dot-separated tokens, no wildcards) to
   * every peer, and to this bus's own subscribers unless `localDelivery` is
   * off. Resolves when the transport took it. A payload the codec would not
   * carry faithfully (see {@link MessageBus.request}) rejects with
   * `INVALID_ARGUMENT` before any subscriber, local or remote, receives it.
   */
  publish<T = unknown>(topic: string, payload?: T, options?: PublishOptions): Promise<void> {
    return this.#router.publish(topic, payload, options);
  }

  /**
   * Events whose topic matches `pattern`: `*` matches one token, `>` the rest
   * (`orders.*.created`, `orders.>`). Throws `INVALID_ARGUMENT` for a bad
   * pattern such as `a.>.b`. Completes when the bus closes.
   * `options.queue` puts the subscription in a queue group on a routed
   * transport (NATS: one subscriber of the group gets each event); elsewhere
   * it throws `NOT_SUPPORTED`.
   *
   * Local events match at once. A client of a named-pipe server or relay hub
   * announces the pattern to it, and the server sends matching events only
   * once that announcement arrived: to be sure the server counts this
   * subscription before it publishes, make a round trip after subscribing
   * (`await bus.ping()`; the link keeps order). Over NATS the fence is the
   * transport's `flush()`.
   */
  subscribe<T = unknown>(pattern: string, options?: SubscribeOptions): Observable<BusEvent<T>> {
    // Payloads are the publisher's, typed T by the subscriber's word.
    return this.#router.subscribe(pattern, options) as Observable<BusEvent<T>>;
  }

  /**
   * Measures a round trip to a peer (ms, on the bus's clock). The remote bus
   * answers itself, without any handler.
   */
  ping(options?: Pick<RequestOptions, 'timeout' | 'to' | 'signal'>): Promise<number> {
    return this.#caller.ping(options);
  }

  /** Counters of traffic and drops, as a fresh object. */
  stats(): BusStats {
    return {
      ...this.#counters,
      pendingRequests: this.#caller.pending,
      activeHandlers: this.#responder.active,
      reassembly: this.#inbox.reassemblyStats(),
    };
  }

  // What follows concerns every part at once, so it lives here rather than in one of them.

  #onPeer(event: PeerEvent): void {
    this.#router.onPeer(event);
    if (!this.#guard.track(event)) return;
    const peer = event.peer.id;
    this.#inbox.forget(peer);
    const reason = `peer ${peer} disconnected${event.reason ? ` (${event.reason})` : ''}`;
    this.#caller.failCallsTo(peer, reason);
    this.#responder.abort(peer, reason);
  }

  #onState(state: TransportState): void {
    if (state === 'open') {
      // Requests made with waitForReady while the link was down go now.
      if (!this.#lifecycle.closed) {
        // Before the parked requests: the server routes by these patterns from now on.
        this.#router.announceInterests();
        this.#caller.sendParked();
      }
    } else if (state === 'reconnecting') {
      this.#guard.reset();
      this.#caller.failCallsTo(undefined, 'the transport lost its link and is reconnecting');
      this.#responder.abort(undefined, 'the transport lost its link');
    } else if (state === 'closed' && !this.#lifecycle.closed) {
      this.#shutDown('the transport closed');
    }
  }

  #shutDown(reason: string): void {
    this.#lifecycle.closed = true;
    this.#caller.failCallsTo(undefined, reason, true);
    this.#responder.abort(undefined, reason);
    this.#router.completeAll();
    this.#inbox.close();
    this.#wiring.unsubscribe();
  }
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
