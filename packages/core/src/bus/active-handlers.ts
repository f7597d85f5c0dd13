import type { Subscription } from 'rxjs';
import { BusError } from '../errors/index.js';
import type { PeerId } from '../transport/index.js';
import type { RequestContext } from './handler-context.js';
import { IdTable } from './id-table.js';

/** A handler working on a request, from the moment it is called until it answers. */
export interface ActiveCall {
  readonly context: RequestContext;
  /** The stream a streaming handler returned, to unsubscribe on cancel. */
  subscription: Subscription | undefined;
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
    const active: ActiveCall = { context, subscription: undefined };
    calls.set(id, active);
    return active;
  }

  /** The running handler of `id` for `peer`, if any. */
  get(peer: PeerId, id: number): ActiveCall | undefined {
    return this.#byPeer.get(peer)?.get(id);
  }

  /** Forgets a handler; false when it was no longer there (cancelled, or its peer left). */
  leave(peer: PeerId, id: number): boolean {
    // An emptied table stays until its peer leaves (abort): a handler per
    // request would otherwise build a fresh table per request.
    return this.#byPeer.get(peer)?.delete(id) ?? false;
  }

  /** Aborts and forgets every handler running for `peer` (for every peer when undefined). */
  abort(peer: PeerId | undefined, reason: string): void {
    const tables = peer === undefined ? [...this.#byPeer.values()] : [this.#byPeer.get(peer)];
    if (peer === undefined) this.#byPeer.clear();
    else this.#byPeer.delete(peer);
    for (const calls of tables) {
      if (calls === undefined) continue;
      for (const active of calls.values()) {
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
