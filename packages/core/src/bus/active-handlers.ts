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
 * Every handler is entered here *before* it is called and leaves when it
 * answers, whatever it returns: a synchronous one for the span of its call,
 * a Promise until it settles, an Observable until it ends. So one table
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
   * Enters a handler about to be called; returns its entry, or why it may
   * not run (and then nothing was entered).
   */
  enter(peer: PeerId, id: number, context: RequestContext): ActiveCall | Refusal {
    let calls = this.#byPeer.get(peer);
    // Small: one per peer, kept while the peer stays; it grows under load.
    if (calls === undefined) {
      if (!this.#linked(peer)) return 'unlinked';
      this.#byPeer.set(peer, (calls = new IdTable(8)));
    } else if (calls.has(id)) return 'duplicate';
    else if (calls.size >= this.#maxPerPeer) return 'busy';
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
