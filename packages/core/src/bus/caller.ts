/**
 * The calling side: ids, pending calls, timers, `AbortSignal`s, and the
 * replies that settle them. A call is one object in an `IdTable` and its
 * answers go to one sink object: no Subject and no closure per call besides
 * a finite timeout's timer and a signal's listener.
 *
 * Room for: typed contracts on the calling side (a typed client wraps
 * `request`/`request$` and checks what comes back); retries and deadlines
 * that span calls.
 */
import type { Subscriber } from 'rxjs';
import { Observable } from '../rx.js';
import type { TimerHandle } from '../clock/index.js';
import type { Envelope } from '../envelope/index.js';
import { Kind, toErrorPayload } from '../envelope/envelope.js';
import { BusError } from '../errors/bus-error.js';
import type { PeerId, PeerInfo, Transport } from '../transport/index.js';
import { FRAME_TAKEN } from '../transport/transport.js';
import { checkName, payloadProblem } from './argument-checks.js';
import { IdTable } from './id-table.js';
import type { BusLifecycle } from './lifecycle.js';
import type { ResolvedBusOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { checkRequest, type CheckedRequest, type RequestOptions } from './request-options.js';
import { MAX_PEER_CODE, MAX_PEER_MESSAGE, clip } from './peer-text.js';
import type { PeerTable } from './peer-table.js';
import type { Counters } from './stats.js';

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
  /** The request, while it waits (`waitForReady`) for the transport to open; then it was not sent. */
  parked: Envelope | undefined;
  /**
   * The peer whose stream answers a call sent without `to` (a shared NATS
   * subject, a queue group, a pipe server's clients): its going away fails
   * the call at once rather than at its timeout.
   */
  answeredBy: PeerId | undefined;
}

const MAX_ID = 0xffffffff;

/** Calls this bus made and is waiting on (internal to the bus). */
export class Caller {
  readonly #pending = new IdTable<PendingCall>();
  /** The checked options of every request made without options. */
  readonly #plainRequest: CheckedRequest;
  #nextId = 1;
  /**
   * Calls waiting for the transport to open, in the order made (each is also
   * in #pending); settled ones are skipped, and swept out once they are most.
   */
  #parked: PendingCall[] = [];
  #parkedLive = 0;

  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
    private readonly lifecycle: BusLifecycle,
    private readonly peers: PeerTable,
    private readonly outbox: Outbox,
  ) {
    this.#plainRequest = { timeout: o.defaultTimeout, signal: undefined, to: undefined, headers: undefined, waitForReady: false };
  }

  /** Calls waiting now. */
  get pending(): number {
    return this.#pending.size;
  }

  /** See `MessageBus.request`. */
  request(method: string, payload: unknown, options: RequestOptions | undefined): Promise<unknown> {
    let checked: CheckedRequest;
    try {
      checked = this.#check(method, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<unknown>((resolve, reject) => {
      this.#call(method, payload, checked, new PromiseSink(resolve, reject), Kind.Request);
    });
  }

  /** See `MessageBus.request$`. */
  request$(method: string, payload: unknown, options: RequestOptions | undefined): Observable<unknown> {
    const checked = this.#check(method, options);
    return new Observable<unknown>((subscriber: Subscriber<unknown>) => {
      const id = this.#call(method, payload, checked, subscriber, Kind.Request);
      return () => this.#abandon(id);
    });
  }

  /** See `MessageBus.ping`. */
  ping(options: Pick<RequestOptions, 'timeout' | 'to' | 'signal'> | undefined): Promise<number> {
    const started = this.o.clock.now();
    let checked: CheckedRequest;
    try {
      checked = this.#check('$ping', options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const sink: CallSink = { next: () => {}, error: reject, complete: () => resolve(this.o.clock.now() - started) };
      this.#call('$ping', undefined, checked, sink, Kind.Ping);
    });
  }

  /** An answer to one of this bus's calls (a response, stream value or end, error, or pong). */
  onReply(envelope: Envelope, peer: PeerInfo): void {
    const call = this.#pending.get(envelope.id);
    if (call === undefined || (call.to !== undefined && call.to !== peer.id)) {
      if (envelope.kind === Kind.Error && envelope.id === 0) {
        const e = toErrorPayload(envelope.payload);
        this.o.logger.warn(`peer reported a protocol error: ${clip(e.code, MAX_PEER_CODE)}: ${clip(e.message, MAX_PEER_MESSAGE)}`, { bus: this.o.name, peer: peer.id });
        return;
      }
      this.counters.lateResponses++;
      return;
    }
    switch (envelope.kind) {
      case Kind.StreamNext:
        call.answeredBy ??= peer.id;
        if (call.timer !== undefined) this.o.clock.clearTimeout(call.timer);
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

  /**
   * Fails every pending call sent to `peer` (or to the default peer), or
   * whose stream `peer` was answering; all of them when undefined. Calls
   * waiting for the transport to open were sent nowhere: they fail only
   * with `parkedToo` (the bus closes).
   */
  failCallsTo(peer: PeerId | undefined, reason: string, parkedToo = false): void {
    for (const call of this.#pending.values()) {
      if (call.parked !== undefined && !parkedToo) continue;
      if (peer !== undefined && call.to !== undefined && call.to !== peer) continue;
      const answering = peer !== undefined && call.to === undefined && call.answeredBy === peer;
      if (peer !== undefined && call.to === undefined && this.peers.size > 0 && !answering) continue;
      this.#settle(call.id);
      const why = answering ? `the responder ${peer} went away mid-stream: ${reason}` : reason;
      call.sink.error(new BusError('TRANSPORT_CLOSED', `'${call.method}' failed: ${why}`, { details: { method: call.method } }));
    }
  }

  #check(method: string, options: RequestOptions | undefined): CheckedRequest {
    if (options !== undefined) return checkRequest(method, options, this.o.defaultTimeout);
    checkName(method, 'method');
    return this.#plainRequest;
  }

  /** Registers a pending call and sends the request; returns its id. */
  #call(method: string, payload: unknown, checked: CheckedRequest, sink: CallSink, kind: Kind): number {
    if (this.lifecycle.closed) {
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
    if (this.o.checkPayloads) {
      const problem = payloadProblem(payload, 'request', method);
      if (problem !== undefined) {
        sink.error(problem);
        return 0;
      }
    }
    const id = this.#allocateId();
    const call: PendingCall = { id, method, to: checked.to, timeout: checked.timeout, sink, timer: undefined, detachSignal: undefined, parked: undefined, answeredBy: undefined };
    this.#pending.set(id, call);
    this.#armTimer(call);
    const signal = checked.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        const parked = call.parked !== undefined;
        if (this.#settle(id) === undefined) return;
        this.counters.requestsCancelled++;
        if (!parked) this.#sendCancel(call);
        const when = parked ? ` while it waited for the transport to open (state '${this.transport.state}'); it was never sent` : '';
        sink.error(new BusError('CANCELLED', `request '${method}' was cancelled${when}`, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      call.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    this.counters.requestsSent++;
    const envelope: Envelope = { kind, id, name: method, payload, headers: checked.headers };
    let sent: Promise<void>;
    if (this.lifecycle.ready) sent = this.outbox.send(envelope, checked.to);
    else if (checked.waitForReady && this.transport.state === 'reconnecting') sent = this.#park(call, envelope);
    else {
      // Not started, or starting: start() settles once the transport is open
      // (or failed to open). A call that settled meanwhile (timed out,
      // cancelled, abandoned) was told it was not sent: send nothing then.
      // A link lost meanwhile parks a waitForReady call.
      sent = this.lifecycle.start().then(() => {
        if (this.#pending.get(id) !== call) return undefined;
        return checked.waitForReady && this.transport.state === 'reconnecting' ? this.#park(call, envelope) : this.outbox.send(envelope, checked.to);
      });
    }
    this.#watch(call, sent);
    return id;
  }

  /** Fails `call` if `sent` rejects. */
  #watch(call: PendingCall, sent: Promise<void>): void {
    // Nothing can fail once the transport took the frame: no reaction to queue then.
    if (sent === FRAME_TAKEN) return;
    sent.catch((failure: unknown) => {
      if (this.#settle(call.id) === undefined) return;
      call.sink.error(BusError.is(failure) ? failure : new BusError('INTERNAL', `sending '${call.method}' failed: ${String(failure)}`, { cause: failure }));
    });
  }

  /** Holds a waitForReady call until the transport opens ({@link Caller.sendParked}). */
  #park(call: PendingCall, envelope: Envelope): Promise<void> {
    call.parked = envelope;
    this.#parkedLive++;
    this.#parked.push(call);
    // Nothing was sent, so nothing can fail yet: the same "no reaction" as a taken frame.
    return FRAME_TAKEN;
  }

  /** The transport is open: sends the calls that waited for it, in the order they were made. */
  sendParked(): void {
    if (this.#parked.length === 0) return;
    const calls = this.#parked;
    this.#parked = [];
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      const envelope = call.parked;
      if (envelope === undefined) continue;
      if (this.transport.state !== 'open' || this.lifecycle.closed) {
        // Lost again while sending these: the rest wait for the next open.
        this.#parked.push(call);
        continue;
      }
      call.parked = undefined;
      this.#parkedLive--;
      this.#watch(call, this.outbox.send(envelope, call.to));
    }
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
    call.timer = this.o.clock.setTimeout(() => {
      call.timer = undefined;
      const parked = call.parked !== undefined;
      if (this.#settle(call.id) === undefined) return;
      this.counters.requestsTimedOut++;
      if (parked) {
        call.sink.error(new BusError('TIMEOUT', `'${call.method}' was not sent within ${call.timeout} ms: it waited (waitForReady) for the transport to open, and it is still '${this.transport.state}'; is the server running? Raise 'timeout' to wait longer`, {
          details: { method: call.method, timeout: call.timeout, waitingForTransport: true },
        }));
        return;
      }
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
    if (call.timer !== undefined) this.o.clock.clearTimeout(call.timer);
    call.detachSignal?.();
    if (call.parked !== undefined) {
      call.parked = undefined;
      // Settled while waiting: sweep the list once most of it is settled, so
      // that calls timing out during a long outage do not pile up in it.
      if (--this.#parkedLive * 2 < this.#parked.length && this.#parked.length > 32) this.#parked = this.#parked.filter((c) => c.parked !== undefined);
    }
    return call;
  }

  /** The caller unsubscribed: forget the call and tell the handler to stop. */
  #abandon(id: number): void {
    const parked = this.#pending.get(id)?.parked !== undefined;
    const call = this.#settle(id);
    if (call === undefined) return;
    this.counters.requestsCancelled++;
    if (!parked) this.#sendCancel(call);
  }

  #sendCancel(call: PendingCall): void {
    if (this.lifecycle.closed || this.transport.state !== 'open') return;
    // On a routed transport (NATS), a call made without `to` and already answered (a stream) cancels at the
    // peer answering it: one directed message instead of one to every responder. Not elsewhere: behind a
    // relaying pipe server the answering peer is the server, which would not pass a cancel addressed to it on.
    const to = call.to ?? (this.transport.capabilities.routed === true ? call.answeredBy : undefined);
    this.outbox.send({ kind: Kind.Cancel, id: call.id, name: call.method, payload: undefined, headers: undefined }, to).catch((error: unknown) =>
      this.o.logger.debug('could not send cancel', { bus: this.o.name, method: call.method, error: String(error) }),
    );
  }
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
