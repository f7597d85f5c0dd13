import type { Subscription } from 'rxjs';
import { BusError } from '../errors/bus-error.js';
import type { PeerId } from '../transport/index.js';
import type { RequestContext } from './handler-context.js';
import { IdTable } from './id-table.js';

/**
 * A request this bus is working on, from the moment a handler (or async
 * inbound middleware) takes it until it is done with it.
 */
export interface ActiveCall {
  readonly id: number;
  readonly context: RequestContext;
  /** The stream a streaming handler returned, to unsubscribe on cancel. */
  subscription: Subscription | undefined;
  /**
   * True once the caller cancelled it: its answer is no longer wanted, but
   * a Promise (or middleware) that has not settled still holds its slot and
   * its id, since nothing can stop it sooner.
   */
  cancelled: boolean;
}

/**
 * Why a request may not start: its id is already running for that peer (a
 * protocol violation: a caller never reuses an id still in flight), the
 * peer already has `maxPerPeer` handlers running, or the peer has no link
 * to answer on (it left, or the transport is one-way).
 */
export type Refusal = 'duplicate' | 'busy' | 'unlinked';

/**
 * The handlers running for each peer, by request id (internal to the bus).
 *
 * Every request is admitted here *before* its handler is called, and a
 * handler that goes on after its call (a Promise until it settles, an
 * Observable until it ends) is entered until it answers. So one table
 * answers the questions a hostile peer forces: is this id already running
 * (a second call with it would replace the first, whose abort would then
 * never be found), and how many handlers is this peer holding.
 */
export class ActiveHandlers {
  readonly #byPeer = new Map<PeerId, IdTable<ActiveCall>>();
  readonly #maxPerPeer: number;
  readonly #linked: (peer: PeerId) => boolean;

  /**
   * @param maxPerPeer - handlers one peer may have running at once.
   * @param linked - whether a peer without a table yet can be answered; asked
   *   only when its table would be made, so that no table outlives its peer.
   */
  constructor(maxPerPeer: number, linked: (peer: PeerId) => boolean) {
    this.#maxPerPeer = maxPerPeer;
    this.#linked = linked;
  }

  /**
   * Whether a request may start: undefined when it may, else why not. Enters
   * nothing: a handler that answers synchronously never needs an entry (no
   * cancel or disconnect can reach it before it returns), and skipping the
   * entry keeps the common request path as cheap as it was before the table.
   */
  admit(peer: PeerId, id: number): Refusal | undefined {
    const calls = this.#byPeer.get(peer);
    if (calls === undefined) return this.#linked(peer) ? undefined : 'unlinked';
    if (calls.has(id)) return 'duplicate';
    return calls.size >= this.#maxPerPeer ? 'busy' : undefined;
  }

  /**
   * Enters a handler, admitted before its call, that goes on after it (it
   * returned a Promise or an Observable). Undefined when its id was entered
   * meanwhile: only a transport delivering the peer's next request inside
   * the handler's own call could do that, and it is a duplicate all the same.
   */
  enter(peer: PeerId, id: number, context: RequestContext): ActiveCall | undefined {
    let calls = this.#byPeer.get(peer);
    // Small: one per peer, kept while the peer stays; it grows under load.
    if (calls === undefined) this.#byPeer.set(peer, (calls = new IdTable(8)));
    else if (calls.has(id)) return undefined;
    const active: ActiveCall = { id, context, subscription: undefined, cancelled: false };
    calls.set(id, active);
    return active;
  }

  /**
   * The caller cancelled request `id`: its handler is aborted at once. A
   * stream is unsubscribed and so ends here; anything else (a Promise, a
   * request in middleware) stays entered until it settles. Counting it until
   * then is what makes the cap hold: a handler that ignores its signal goes
   * on running, and a peer could otherwise start any number of them by
   * cancelling each. Keeping its id entered also refuses a reuse of the id
   * while it runs, so that its late leave() cannot meet a newer call.
   */
  cancel(peer: PeerId, id: number, reason: BusError): void {
    const calls = this.#byPeer.get(peer);
    const active = calls?.get(id);
    if (active === undefined || active.cancelled) return;
    active.cancelled = true;
    active.context.abort(reason);
    if (active.subscription !== undefined) {
      calls!.delete(id);
      active.subscription.unsubscribe();
    }
  }

  /**
   * Forgets `active` once it is done. True when its answer should still be
   * sent: it was the entry of its id (not one its peer's leaving already
   * removed, whose id a newer call may hold by now) and was not cancelled.
   */
  leave(peer: PeerId, active: ActiveCall): boolean {
    const calls = this.#byPeer.get(peer);
    if (calls === undefined || calls.get(active.id) !== active) return false;
    // An emptied table stays until its peer leaves (abort): a handler per
    // request would otherwise build a fresh table per request.
    calls.delete(active.id);
    return !active.cancelled;
  }

  /** Aborts and forgets every handler running for `peer` (for every peer when undefined). */
  abort(peer: PeerId | undefined, reason: string): void {
    const tables = peer === undefined ? [...this.#byPeer.values()] : [this.#byPeer.get(peer)];
    if (peer === undefined) this.#byPeer.clear();
    else this.#byPeer.delete(peer);
    for (const calls of tables) {
      if (calls === undefined) continue;
      for (const active of calls.values()) {
        // Their leave() will find no table: no answer goes out, nothing is counted twice.
        active.context.abort(new BusError('CANCELLED', reason));
        active.subscription?.unsubscribe();
      }
    }
  }

  /** Handlers running now, over all peers. */
  get size(): number {
    let size = 0;
    for (const calls of this.#byPeer.values()) size += calls.size;
    return size;
  }

  /** Peers with a table (kept while the peer stays connected). */
  get peers(): number {
    return this.#byPeer.size;
  }
}
