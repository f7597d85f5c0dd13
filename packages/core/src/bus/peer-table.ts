/**
 * The peers the transport reported as connected. A leaf every part may
 * read (outbound middleware sees a peer's info, relay walks the peers);
 * only the peer guard writes it, from the transport's peer events.
 *
 * Room for: per-peer facts a feature needs (a peer's announced contracts,
 * say), kept and forgotten with the peer.
 */
import type { PeerId, PeerInfo, Transport } from '../transport/index.js';

/** Connected peers by id (internal to the bus). */
export class PeerTable {
  readonly #peers = new Map<PeerId, PeerInfo>();
  /** True once the transport announced a peer: from then on, a peer not in the table has left. */
  #reported = false;

  constructor(private readonly transport: Transport) {}

  get(id: PeerId): PeerInfo | undefined {
    return this.#peers.get(id);
  }

  get size(): number {
    return this.#peers.size;
  }

  ids(): IterableIterator<PeerId> {
    return this.#peers.keys();
  }

  /**
   * True unless `id` is known to have left: on a transport that reports
   * peers, one not in the table is gone; on one that does not, any may be here.
   */
  present(id: PeerId): boolean {
    return !this.#reported || this.#peers.has(id);
  }

  /**
   * Whether a request from `id` can be answered: not on a one-way
   * transport, nor for a peer that already left (a request held by async
   * middleware past its peer's disconnect), where transports report peers.
   */
  isLinked(id: PeerId): boolean {
    return this.transport.capabilities.duplex && this.present(id);
  }

  add(peer: PeerInfo): void {
    this.#reported = true;
    this.#peers.set(peer.id, peer);
  }

  delete(id: PeerId): void {
    this.#peers.delete(id);
  }

  clear(): void {
    this.#peers.clear();
  }
}
