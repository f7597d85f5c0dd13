import type { EventEmitter } from 'eventemitter3';
import { newEventEmitter } from '../event-emitter.js';
import { BehaviorSubject, Observable, Subject, distinctUntilChanged } from '../rx.js';
import { BusError } from '../errors/bus-error.js';
import { brandedInstanceOf, setBrand, sharedGlobal } from '../brand/brand.js';
import { describeValue } from './describe-value.js';
import { CLOSED, interestProblem, routeProblem, sendProblem } from './checks.js';
import type { Interest, Route } from './routed.js';
import type { FrameListener, InboundFrame, PeerEvent, PeerId, TransportCapabilities, TransportEvents, TransportState } from './types.js';

export { describeValue } from './describe-value.js';

/**
 * The already resolved promise a transport's {@link Transport.doSend} returns
 * when it took a frame at once (queued it within its bounds, or the OS took
 * the bytes). It means nothing more than any resolved promise, but the bus
 * compares `send()`'s result against it by identity to skip a promise
 * reaction per message: return this exact object, not a fresh
 * `Promise.resolve()` (which still works, only slower), and never return it
 * for a frame not yet taken.
 */
export const FRAME_TAKEN: Promise<void> = sharedGlobal(Symbol.for('pipebus.frameTaken'), () => Promise.resolve());
// Shared through globalThis: a transport built on the CommonJS copy of core
// returns its FRAME_TAKEN to a bus of the ESM copy, which compares by identity.

const TRANSPORT_BRAND = Symbol.for('pipebus.transport');

/** The release of a hold that held nothing. */
const noHold = (): void => undefined;

/**
 * The contract every pipebus transport fulfils: it moves opaque frames and
 * reports its state; it never parses envelopes (that is the bus's job).
 *
 * Implementations extend this class and fill in {@link Transport.doStart},
 * {@link Transport.doSend} and {@link Transport.doClose}; the public methods
 * here do the validation and state bookkeeping once for every transport, so
 * all of them fail the same way on the same bad input.
 *
 * Rules an implementation keeps (the README's "Writing a transport" lists
 * them all):
 * - `doSend` resolves once the frame is taken (the OS took the bytes, or it
 *   is queued within the transport's own bounds) and waits while the link is
 *   full; it rejects with a {@link BusError}. When it took the frame at once
 *   it returns {@link FRAME_TAKEN} itself, that exact promise: the bus
 *   compares by identity to skip a promise reaction per message.
 * - Received frames go through {@link Transport.emitFrame} and nowhere else,
 *   so `onFrame` listeners, `frames$` and `events` all see each frame once.
 * - State changes go through {@link Transport.setState}; peers through
 *   {@link Transport.emitPeer}; non-fatal problems through
 *   {@link Transport.emitError}.
 *
 * Frames reach consumers in three ways, from fastest to most convenient:
 * {@link Transport.onFrame} (one call per frame; the bus uses it),
 * `frames$` (an RxJS observable) and `events.on('frame')`. All are hot:
 * listen before `start()` to see every frame.
 *
 * @example A transport that hands every frame straight back to itself
 * ```ts
 * import { FRAME_TAKEN, Transport, type PeerId } from '@pipebus/core/transport-kit';
 *
 * class LoopbackTransport extends Transport {
 *   readonly capabilities = { duplex: true, broadcast: false, maxFrameSize: 65536, reliable: true, ordered: true };
 *   protected async doStart(): Promise<void> {}
 *   protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
 *     this.emitFrame({ data: frame.slice(), peer: { id: to ?? 'self' } });
 *     return FRAME_TAKEN;
 *   }
 *   protected async doClose(): Promise<void> {}
 * }
 * ```
 */
export abstract class Transport {
  /**
   * `x instanceof Transport` is true for a transport of any copy of this
   * package (ESM or CommonJS build, two installs), by a `Symbol.for` brand, so
   * a bus accepts a transport that was loaded through `require` while the bus
   * came through `import`. Subclasses keep the plain prototype test.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, Transport, TRANSPORT_BRAND, value);
  }

  /** What this transport can do. */
  abstract readonly capabilities: TransportCapabilities;

  #events: EventEmitter<TransportEvents> | undefined;
  /**
   * Lifecycle events for non-Rx users; mirrors the observables. Made on first
   * read (eventemitter3 loads then): until then nobody listens, and nothing
   * is emitted.
   */
  get events(): EventEmitter<TransportEvents> {
    return (this.#events ??= newEventEmitter<TransportEvents>());
  }

  readonly #state = new BehaviorSubject<TransportState>('idle');
  /** #state's value, kept in a field: `state` is read on every send, and the Subject's getter costs a call chain. */
  #current: TransportState = 'idle';
  readonly #frames = new Subject<InboundFrame>();
  readonly #peers = new Subject<PeerEvent>();
  /** onFrame() listeners, called before `frames$`'s subscribers; replaced, never mutated, so a listener may unsubscribe during delivery. */
  #frameListeners: readonly FrameListener[] = [];
  /** Set once close() completed `frames$`: no frame is delivered after that. */
  #framesDone = false;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Current state, replayed to every new subscriber (`closed` included). */
  readonly state$: Observable<TransportState> = this.#state.pipe(distinctUntilChanged());
  /** Frames received; completes when the transport closes. */
  readonly frames$: Observable<InboundFrame> = this.#frames.asObservable();
  /** Peers connecting and going away; completes when the transport closes. */
  readonly peers$: Observable<PeerEvent> = this.#peers.asObservable();

  /** The state right now. */
  get state(): TransportState {
    return this.#current;
  }

  /**
   * Opens the transport (listens, connects, binds). Resolves once frames can
   * flow; calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#closing) return Promise.reject(this.closedError('start'));
    this.#starting ??= (async () => {
      this.setState('connecting');
      try {
        await this.doStart();
      } catch (error) {
        this.#starting = undefined;
        if (this.state !== 'closed') this.setState('idle');
        throw error;
      }
      // close() while doStart() was waiting: the caller must not believe it is open.
      if (this.#closing) throw this.closedError('start');
      if (this.state === 'connecting') this.setState('open');
    })();
    return this.#starting;
  }

  /**
   * Sends one frame. Without `to`, a duplex client sends to its server and a
   * server or broadcast transport sends to every peer. Resolves once the
   * transport took the frame — the OS took the bytes, or the transport queued
   * them within its own bounds to write at once (as a stream's write() that
   * returns true) — and waits while the link is full (backpressure); rejects
   * with a {@link BusError}: `INVALID_ARGUMENT`, `FRAME_TOO_LARGE`,
   * `TRANSPORT_CLOSED`, `NOT_FOUND` (unknown peer) or an OS error.
   */
  send(frame: Uint8Array, to?: PeerId): Promise<void> {
    const problem = sendProblem('send', this, frame, to, this.#closing !== undefined);
    if (problem === undefined) return this.doSend(frame, to);
    return Promise.reject(problem === CLOSED ? this.closedError('send') : problem);
  }

  /**
   * Sends one frame with where it goes by name, for a transport whose
   * `capabilities.routed` is true (the bus calls it only then, and plain
   * {@link Transport.send} otherwise). Same checks and errors as `send()`,
   * plus `INVALID_ARGUMENT` for a malformed route; then
   * {@link Transport.doSendRouted}, or `doSend` (the route unused) on a
   * transport that does not implement it.
   */
  sendRouted(frame: Uint8Array, route: Route, to?: PeerId): Promise<void> {
    const problem = sendProblem('sendRouted', this, frame, to, this.#closing !== undefined) ?? routeProblem(route);
    if (problem !== undefined) return Promise.reject(problem === CLOSED ? this.closedError('sendRouted') : problem);
    return this.doSendRouted === undefined ? this.doSend(frame, to) : this.doSendRouted(frame, route, to);
  }

  /**
   * Declares a method handled or a topic pattern subscribed here, so that a
   * routed transport makes the network deliver it (a NATS SUB, with its
   * queue group); returns the function that withdraws it (idempotent). Any
   * state but `closed` accepts it: the bus declares handlers before
   * `start()`. Throws `NOT_SUPPORTED` on a transport that is not routed
   * (every frame reaches every listener there already), `INVALID_ARGUMENT`
   * for a malformed interest, `TRANSPORT_CLOSED` once closed.
   */
  interest(interest: Interest): () => void {
    const problem = interestProblem(interest, this.capabilities.routed === true, this.doInterest !== undefined);
    if (problem !== undefined) throw problem;
    if (this.state === 'closed' || this.#closing) throw this.closedError('declare an interest');
    const { kind, name, queue, id } = interest;
    // interestProblem() made sure doInterest exists.
    const withdraw = this.doInterest!({ kind, name, ...(queue !== undefined && { queue }), ...(id !== undefined && { id }) });
    let declared = true;
    return () => {
      if (!declared) return;
      declared = false;
      withdraw();
    };
  }

  /**
   * Stops taking frames from `peer` until the returned release is called
   * (calling it again does nothing); reading resumes once every hold on the
   * peer is released. This is flow control: a relaying bus holds a sender
   * whose events wait for a slow receiver, so the sender's own writes wait
   * (its `publish()` awaits) instead of the receiver's queue growing until
   * it is dropped. Frames already read may still arrive while held. On a
   * transport that cannot hold (no `doHoldInbound`), or once closed, the
   * release does nothing.
   */
  holdInbound(peer: PeerId): () => void {
    if (this.doHoldInbound === undefined || this.#current === 'closed' || this.#closing !== undefined) return noHold;
    const release = this.doHoldInbound(peer);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      release();
    };
  }

  /** Closes the transport and completes its observables. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.doClose();
      } finally {
        this.setState('closed');
        this.#framesDone = true;
        this.#frameListeners = [];
        this.#frames.complete();
        this.#peers.complete();
        // state$ is not completed: a late subscriber must still learn 'closed'.
        this.#events?.removeAllListeners();
      }
    })();
    return this.#closing;
  }

  /**
   * Transport-specific start; state is already `connecting`. It may set
   * `open` itself (a listener does, before its first client can arrive);
   * otherwise the base sets it when this resolves.
   */
  protected abstract doStart(): Promise<void>;
  /** Transport-specific send of a frame already validated. */
  protected abstract doSend(frame: Uint8Array, to?: PeerId): Promise<void>;
  /**
   * Routed transports: send of a frame and its route, already validated
   * (same promise rules as `doSend`, `FRAME_TAKEN` included).
   */
  protected doSendRouted?(frame: Uint8Array, route: Route, to?: PeerId): Promise<void>;
  /**
   * Routed transports: make the network deliver `interest` here; returns
   * the function that withdraws it (called at most once).
   */
  protected doInterest?(interest: Interest): () => void;
  /** Transport-specific teardown; called once. */
  protected abstract doClose(): Promise<void>;
  /**
   * Optional: stop reading from `peer` until the returned function is
   * called (see {@link Transport.holdInbound}, which calls each release
   * once). An unknown or departed peer gets a release that does nothing.
   */
  protected doHoldInbound?(peer: PeerId): () => void;

  /**
   * Disconnects one peer, for example one that sent malformed frames. The
   * default does nothing: transports that have per-peer links override it.
   */
  dropPeer(peer: PeerId, reason: string): void {
    void peer;
    void reason;
  }

  /** For implementations: report a state change. */
  protected setState(state: TransportState): void {
    if (this.#current === state || this.#current === 'closed') return;
    this.#current = state;
    this.#state.next(state);
    this.#events?.emit('state', state);
  }

  /** For implementations: hand a received frame to subscribers. */
  protected emitFrame(frame: InboundFrame): void {
    if (this.#framesDone || this.#frames.closed) return;
    const listeners = this.#frameListeners;
    for (let i = 0; i < listeners.length; i++) {
      // One listener that throws must not cost the others (the bus among them) the frame.
      try {
        listeners[i]!(frame);
      } catch (error) {
        this.#listenerThrew(error);
      }
    }
    if (this.#frames.observed) this.#frames.next(frame);
    this.#events?.emit('frame', frame);
  }

  /**
   * Calls `listener` with every frame received from now on, synchronously,
   * before `frames$`'s subscribers; returns the function that stops it
   * (calling it again does nothing). Listeners are dropped when the
   * transport closes; one added after that is never called.
   *
   * This is the fast path `MessageBus` uses: `frames$` goes through
   * an RxJS Subject, whose `next` allocates per frame (a closure and an
   * iterator, ~200 bytes and tens of ns on every message), while a listener
   * here costs one call. Application code that wants operators and
   * completion uses `frames$`. A listener runs inside the transport's
   * receive path: it should hand slow work elsewhere, and must not throw (one
   * that does is reported as an `INTERNAL` error on `events`, or thrown from
   * a fresh task when nobody listens there; the other listeners still run).
   *
   * @example
   * ```ts
   * const stop = transport.onFrame((frame) => console.log(frame.peer.id, frame.data.byteLength));
   * // later
   * stop();
   * ```
   */
  onFrame(listener: FrameListener): () => void {
    if (typeof listener !== 'function') {
      throw new BusError('INVALID_ARGUMENT', `onFrame() takes a function, got ${describeValue(listener)}`);
    }
    if (!this.#framesDone) this.#frameListeners = [...this.#frameListeners, listener];
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      // Removes this registration only: the same function added twice stays once.
      const index = this.#frameListeners.indexOf(listener);
      if (index >= 0) this.#frameListeners = this.#frameListeners.filter((_, i) => i !== index);
    };
  }

  /** For implementations: report a peer arriving or leaving. */
  protected emitPeer(event: PeerEvent): void {
    if (this.#peers.closed) return;
    this.#peers.next(event);
    this.#events?.emit('peer', event);
  }

  /** For implementations: report a non-fatal problem. */
  protected emitError(error: BusError): void {
    // eventemitter3, unlike node:events, does not throw on an unheard 'error',
    // so reporting never turns a peer's mistake into a crash.
    this.#events?.emit('error', error);
  }

  /**
   * Reports an `onFrame` listener's exception: as an `INTERNAL` error on
   * `events` when someone listens there, else thrown from a fresh task, as
   * RxJS does for a subscriber that throws, so it is never lost silently.
   */
  #listenerThrew(error: unknown): void {
    if ((this.#events?.listenerCount('error') ?? 0) === 0) {
      setTimeout(() => {
        throw error;
      });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.emitError(new BusError('INTERNAL', `an onFrame() listener threw: ${message}; a listener must not throw (the other listeners still got the frame)`, { cause: error }));
  }

  /** A `TRANSPORT_CLOSED` error naming the operation that met the closed transport. */
  protected closedError(operation: string): BusError {
    return new BusError('TRANSPORT_CLOSED', `cannot ${operation}: the transport is closed`);
  }
}

setBrand(Transport.prototype, TRANSPORT_BRAND);
