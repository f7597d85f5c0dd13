/**
 * The peers this bus will not hear from: a peer that sent something
 * unreadable is told why, dropped, and ignored until it leaves. Keeps the
 * peer table in step with the transport's peer events, since a rejected
 * peer is forgotten exactly when it leaves.
 *
 * Room for: any new reason to drop a peer (a peer breaking a typed
 * contract, say) calls `reject()`; per-peer admission policy.
 */
import { Kind } from '../envelope/envelope.js';
import type { PeerEvent, PeerId, PeerInfo, Transport } from '../transport/index.js';
import type { Outbox } from './outbox.js';
import type { ResolvedBusOptions } from './options.js';
import { MAX_PEER_MESSAGE, clip } from './peer-text.js';
import type { PeerTable } from './peer-table.js';
import type { Counters } from './stats.js';

/** Rejected peers and the peer table's updates (internal to the bus). */
export class PeerGuard {
  /** Peers this bus already dropped: one bad frame means one drop, not one per fragment. */
  readonly #rejected = new Set<PeerId>();

  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
    private readonly peers: PeerTable,
    private readonly outbox: Outbox,
  ) {}

  /**
   * True for a peer being dropped: it may still have frames in flight (the
   * rest of a read, a flood of bad requests), which are ignored, not served.
   */
  isRejected(peer: PeerId): boolean {
    return this.#rejected.size !== 0 && this.#rejected.has(peer);
  }

  /**
   * A peer sent something this bus cannot read: count it, log it, tell the
   * peer where the transport can answer it, and disconnect it — a peer that
   * speaks garbage once will most likely keep doing so.
   */
  reject(peer: PeerInfo, code: string, detail: string): void {
    if (this.#rejected.has(peer.id)) return;
    // The detail may quote the peer's bytes (a decoder's message): cut it for the log and the reply.
    const message = clip(detail, MAX_PEER_MESSAGE);
    this.o.logger.warn(`dropped a frame from ${peer.id}: ${message}`, { bus: this.o.name, peer: peer.id, code });
    // Transports without per-peer links cannot drop anyone; remembering such a
    // peer would silence every later warning about it, so only linked peers
    // are, and only while connected: a peer that already left would stay
    // in the set for good (its disconnect, which clears it, is past).
    if (this.peers.isLinked(peer.id)) this.#rejected.add(peer.id);
    this.counters.peersDropped++;
    const drop = (): void => this.transport.dropPeer(peer.id, `${code}: ${message}`);
    if (!this.transport.capabilities.duplex || this.transport.state !== 'open') {
      drop();
      return;
    }
    // Tell first, then drop: the peer learns why before its link goes.
    this.outbox.send({ kind: Kind.Error, id: 0, name: '', payload: { code, message, origin: 'bus' }, headers: undefined }, peer.id).then(drop, drop);
  }

  /** Records a peer event; true when a peer left (what it held must then be released). */
  track(event: PeerEvent): boolean {
    if (event.type === 'connected') {
      this.peers.add(event.peer);
      return false;
    }
    this.peers.delete(event.peer.id);
    this.#rejected.delete(event.peer.id);
    return true;
  }

  /** The transport lost its link: every peer is gone, and the new link starts clean, whatever the old one sent. */
  reset(): void {
    this.peers.clear();
    this.#rejected.clear();
  }
}
