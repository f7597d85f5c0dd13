/**
 * The answering side: the handlers registered with `handle()`, the
 * requests they are working on (`ActiveHandlers`, per peer), cancel and
 * abort, and every answer (reply, refusal, error) that goes back.
 *
 * Room for: typed contracts on the handling side (a typed `handle` checks
 * the payload before the handler runs, and refuses with `INVALID_ARGUMENT`
 * here); per-method limits next to `maxActiveHandlersPerPeer`.
 */
import { isObservable } from '../rx.js';
import type { Envelope } from '../envelope/index.js';
import { Kind } from '../envelope/envelope.js';
import { BusError, invalidArgument } from '../errors/bus-error.js';
import type { PeerId, PeerInfo, Transport } from '../transport/index.js';
import { FRAME_TAKEN, describeValue } from '../transport/transport.js';
import { ActiveHandlers, type ActiveCall, type Refusal } from './active-handlers.js';
import { checkName, checkQueue, payloadProblem } from './argument-checks.js';
import type { Handler } from './handler-context.js';
import { RequestContext } from './handler-context.js';
import type { BusLifecycle } from './lifecycle.js';
import type { ResolvedBusOptions } from './options.js';
import type { Outbox } from './outbox.js';
import type { PeerGuard } from './peer-guard.js';
import { quote } from './peer-text.js';
import type { PeerTable } from './peer-table.js';
import type { Counters } from './stats.js';

/** Options of `handle()`. */
export interface HandleOptions {
  /**
   * Queue group (routed transports such as NATS only): the network hands
   * each request to one handler of the group, so several processes share
   * a method's load. `NOT_SUPPORTED` on any other transport.
   */
  queue?: string;
}

/** Handlers and the requests they work on (internal to the bus). */
export class Responder {
  readonly #handlers = new Map<string, Handler<unknown, unknown>>();
  readonly #active: ActiveHandlers;

  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
    private readonly lifecycle: BusLifecycle,
    peers: PeerTable,
    private readonly guard: PeerGuard,
    private readonly outbox: Outbox,
  ) {
    this.#active = new ActiveHandlers(o.maxActiveHandlersPerPeer, (peer) => peers.isLinked(peer));
  }

  /** Handlers running now, over all peers. */
  get active(): number {
    return this.#active.size;
  }

  /** See `MessageBus.handle`. */
  handle(method: string, handler: Handler<unknown, unknown>, options?: HandleOptions): () => void {
    checkName(method, 'method');
    const queue = checkQueue(options, `handle('${method}')`, this.transport);
    if (typeof handler !== 'function') {
      throw invalidArgument(`handle('${method}', handler): handler must be a function, got ${describeValue(handler)}`);
    }
    // Both would register a handler that can never run: say so now, not by silence.
    if (this.lifecycle.closed) {
      throw new BusError('TRANSPORT_CLOSED', `cannot handle('${method}'): this bus is closed; register handlers on a new MessageBus over a new transport`);
    }
    if (this.transport.capabilities.duplex === false) {
      throw new BusError(
        'NOT_SUPPORTED',
        `cannot handle('${method}'): this bus's transport is one-way (capabilities.duplex is false, as on a mailslot), so no request can reach a handler nor be answered; use subscribe() for its events, or a duplex transport (pipe://) for requests`,
      );
    }
    if (this.#handlers.has(method)) {
      throw invalidArgument(`method '${method}' already has a handler; call the function handle() returned to remove it first`);
    }
    // A routed transport must make the network deliver this method here (a
    // NATS SUB, in its queue group); declared first, so that a name the
    // transport refuses leaves no handler behind.
    const withdraw = this.transport.capabilities.routed === true ? this.transport.interest({ kind: 'method', name: method, ...(queue !== undefined && { queue }) }) : undefined;
    this.#handlers.set(method, handler);
    return () => {
      if (this.#handlers.get(method) !== handler) return;
      this.#handlers.delete(method);
      withdraw?.();
    };
  }

  /** Runs the handler of a request and answers with what it returns. */
  onRequest(envelope: Envelope, peer: PeerInfo): void {
    // No answer can go back over a one-way transport (and handle() refuses
    // one, so there is no handler either): count it, rather than send a
    // NO_HANDLER reply that cannot be addressed.
    if (!this.transport.capabilities.duplex) {
      this.counters.requestsUnanswerable++;
      return;
    }
    const handler = this.#handlers.get(envelope.name);
    if (handler === undefined) {
      this.counters.noHandler++;
      const method = quote(envelope.name);
      this.reply(envelope, peer, Kind.Error, {
        code: 'NO_HANDLER',
        message: `no handler for ${method} on ${this.o.name}; register one with bus.handle(method, fn)`,
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
    this.counters.requestsHandled++;
    const context = new RequestContext(envelope.name, envelope.id, peer, envelope.headers);
    let result: unknown;
    try {
      result = handler(envelope.payload, context);
    } catch (error) {
      this.replyError(envelope, peer, error);
      return;
    }
    if (isObservable(result)) {
      const active = this.#enter(envelope, peer, context);
      if (active === undefined) return;
      let refused = false;
      active.subscription = result.subscribe({
        next: (value) => {
          if (refused) return;
          const problem = this.#problem(value, envelope, 'streamValue');
          if (problem === undefined) {
            this.reply(envelope, peer, Kind.StreamNext, value);
            return;
          }
          // A value that cannot travel ends the stream: the caller is told
          // why, and the handler stops rather than stream into nothing.
          refused = true;
          if (!this.#active.leave(peer.id, active)) return;
          context.abort(problem);
          active.subscription?.unsubscribe();
          this.#unsendable(envelope, peer, problem);
        },
        error: (error: unknown) => {
          if (this.#active.leave(peer.id, active)) this.replyError(envelope, peer, error);
        },
        complete: () => {
          if (this.#active.leave(peer.id, active)) this.reply(envelope, peer, Kind.StreamEnd, undefined);
        },
      });
      // A synchronous source refused a value before subscribe() returned the subscription.
      if (refused) active.subscription.unsubscribe();
      return;
    }
    if (isPromiseLike(result)) {
      const active = this.#enter(envelope, peer, context);
      if (active === undefined) return;
      result.then(
        (value) => {
          if (this.#active.leave(peer.id, active)) this.#answer(envelope, peer, value);
        },
        (error: unknown) => {
          if (this.#active.leave(peer.id, active)) this.replyError(envelope, peer, error);
        },
      );
      return;
    }
    this.#answer(envelope, peer, result);
  }

  /** Sends a handler's result, or says why it cannot be sent. */
  #answer(request: Envelope, peer: PeerInfo, value: unknown): void {
    const problem = this.#problem(value, request, 'reply');
    if (problem === undefined) this.reply(request, peer, Kind.Response, value);
    else this.#unsendable(request, peer, problem);
  }

  /** What in a handler's result the codec would not carry faithfully (a function, a Promise…), if anything. */
  #problem(value: unknown, request: Envelope, root: string): BusError | undefined {
    return this.o.checkPayloads ? payloadProblem(value, 'handle', request.name, root) : undefined;
  }

  /** A handler's result cannot travel: its author reads why in the log, and the caller gets the error instead of a timeout. */
  #unsendable(request: Envelope, peer: PeerInfo, problem: BusError): void {
    this.o.logger.warn(`the handler of ${quote(request.name)} returned a value that cannot be sent: ${problem.message}`, { bus: this.o.name, peer: peer.id });
    this.replyError(request, peer, problem);
  }

  /**
   * Enters a request before inbound middleware runs, so that a peer cannot
   * park any number of them there: refused (null) as a handler would be,
   * when its id is in use or its peer at its cap.
   */
  hold(envelope: Envelope, peer: PeerInfo): ActiveCall | null {
    const refusal = this.#active.admit(peer.id, envelope.id);
    const held = refusal === undefined ? this.#active.enter(peer.id, envelope.id, new RequestContext(envelope.name, envelope.id, peer, envelope.headers)) : undefined;
    if (held === undefined) this.#refuse(envelope, peer, refusal ?? 'duplicate');
    return held ?? null;
  }

  /** Gives back a held request's slot; true when it is still wanted (see `ActiveHandlers.leave`). */
  release(peer: PeerId, held: ActiveCall): boolean {
    return this.#active.leave(peer, held);
  }

  /** The caller cancelled a request: its handler is aborted. */
  onCancel(envelope: Envelope, peer: PeerInfo): void {
    this.#active.cancel(peer.id, envelope.id, new BusError('CANCELLED', `the caller cancelled ${quote(envelope.name)}`));
  }

  /** Aborts the handlers working for `peer` (all when undefined). */
  abort(peer: PeerId | undefined, reason: string): void {
    this.#active.abort(peer, reason);
  }

  /** Sends one answer to `request`; an answer that cannot travel is replaced by an error saying why. */
  reply(request: Envelope, peer: PeerInfo, kind: Kind, payload: unknown): void {
    if (this.lifecycle.closed) return;
    const sent = this.outbox.send({ kind, id: request.id, name: request.name, payload, headers: undefined }, peer.id);
    if (sent === FRAME_TAKEN) return;
    sent.catch((error: unknown) => {
      if (BusError.is(error, 'FRAME_TOO_LARGE') || BusError.is(error, 'INVALID_ARGUMENT')) {
        // The answer itself cannot travel: tell the caller why instead of letting it time out.
        this.replyError(request, peer, error);
        return;
      }
      this.o.logger.warn(`could not answer ${quote(request.name)}`, { bus: this.o.name, peer: peer.id, error: String(error) });
    });
  }

  /** Answers `request` with `error` (a handler's, or this bus's refusal when origin is `bus`). */
  replyError(request: Envelope, peer: PeerInfo, error: unknown, origin: 'bus' | 'handler' = 'handler'): void {
    this.counters.handlerErrors++;
    const e = error as { code?: unknown; message?: unknown; details?: unknown } | null;
    const code = e !== null && typeof e === 'object' && typeof e.code === 'string' ? e.code : 'HANDLER_ERROR';
    const message = e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(error);
    const details = e !== null && typeof e === 'object' && e.details !== null && typeof e.details === 'object' ? e.details : undefined;
    this.outbox
      .send({ kind: Kind.Error, id: request.id, name: request.name, payload: { code, message, origin, ...(details && { details }) }, headers: undefined }, peer.id)
      .catch((failure: unknown) => this.o.logger.warn(`could not send error for ${quote(request.name)}`, { bus: this.o.name, error: String(failure) }));
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

  /** A request that may not run: a reused id drops its peer, one too many is answered `BUSY`. */
  #refuse(envelope: Envelope, peer: PeerInfo, why: Refusal): void {
    if (why === 'unlinked') {
      this.counters.requestsUnanswerable++;
      if (!this.transport.capabilities.duplex) {
        this.guard.reject(peer, 'DECODE_FAILED', 'sent a request over a one-way transport, which cannot carry the answer');
      }
      return;
    }
    if (why === 'duplicate') {
      // A caller never reuses an id still in flight, nor one it cancelled whose
      // handler has not settled (ids skip pending ones and wrap only after
      // 2^32 calls): only a broken or hostile peer does.
      this.guard.reject(peer, 'DECODE_FAILED', `request id ${envelope.id} is already running for this peer; a caller must not reuse the id of a call in flight`);
      return;
    }
    this.counters.requestsBusy++;
    this.reply(envelope, peer, Kind.Error, {
      code: 'BUSY',
      message: `this peer already has ${this.o.maxActiveHandlersPerPeer} handlers running on ${this.o.name} (maxActiveHandlersPerPeer); retry when some finish, or raise that option on the handling bus`,
      origin: 'bus',
    });
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}
