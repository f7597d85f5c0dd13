/**
 * Who is there. NATS tells a client nothing about other clients, and a peer
 * that dies (SIGKILL, a cable) sends no goodbye: so every transport
 * publishes a heartbeat each `heartbeatInterval`, and a peer not heard from
 * (any message counts) in {@link MISSED_BEATS} intervals in a row is reported gone.
 * The bus then fails the calls waiting on it and aborts its handlers, as it
 * does when a pipe closes.
 */
import type { PeerEvent, PeerId, PeerInfo } from '@pipebus/core/transport-kit';

/** Intervals of silence after which a peer is reported gone. */
export const MISSED_BEATS = 3;

interface Known {
  readonly info: PeerInfo;
  /** Heard from since the last sweep: set per message, which is all a message costs here. */
  seen: boolean;
  /** Sweeps in a row it was not heard in. */
  missed: number;
  /** The sweep that last found it heard (or when it was first heard; ms, `now()`): for the reason given when it goes. */
  heardBy: number;
}

/** The peers of one transport, by id (internal to the transport). */
export class Presence {
  readonly #peers = new Map<PeerId, Known>();

  /** New peers refused because the table was full (see `maxPeers`). */
  refused = 0;

  constructor(
    private readonly addressOf: (id: PeerId) => string,
    private readonly report: (event: PeerEvent) => void,
    private readonly maxPeers: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(id: PeerId): boolean {
    return this.#peers.has(id);
  }

  /**
   * `id` was heard from: its info, announced as connected the first time;
   * undefined (and counted) when the table is full. Ids are self-declared,
   * so a hostile client could otherwise grow it without bound; peers that
   * go silent leave it after three heartbeats, making room again.
   */
  heard(id: PeerId): PeerInfo | undefined {
    const known = this.#peers.get(id);
    if (known !== undefined) {
      // No clock read per message (a Date.now() per event was 4.6 % of a subscriber's profile): the sweep reads the flag.
      known.seen = true;
      return known.info;
    }
    if (this.#peers.size >= this.maxPeers) {
      this.refused++;
      return undefined;
    }
    const info: PeerInfo = { id, address: this.addressOf(id) };
    this.#peers.set(id, { info, seen: true, missed: 0, heardBy: this.now() });
    this.report({ type: 'connected', peer: info });
    return info;
  }

  /** `id` left (said goodbye, was dropped, went silent): reported once. */
  forget(id: PeerId, reason: string): void {
    const known = this.#peers.get(id);
    if (known === undefined) return;
    this.#peers.delete(id);
    this.report({ type: 'disconnected', peer: known.info, reason });
  }

  /**
   * Called every heartbeat interval: forgets every peer not heard from in
   * the last `MISSED_BEATS` sweeps (`MISSED_BEATS` × `interval` ms).
   */
  sweep(): void {
    const now = this.now();
    for (const [id, known] of this.#peers) {
      if (known.seen) {
        known.seen = false;
        known.missed = 0;
        known.heardBy = now;
      } else if (++known.missed >= MISSED_BEATS) {
        this.forget(id, `no heartbeat on NATS for ${now - known.heardBy} ms (it died, or lost its link)`);
      }
    }
  }

  /**
   * Our own link went down: the bus forgets every peer then (as when a pipe
   * breaks), so this table does too, silently, and each peer is announced
   * again when it is heard from after the reconnect. Returns who was known.
   */
  clear(): PeerId[] {
    const ids = [...this.#peers.keys()];
    this.#peers.clear();
    return ids;
  }
}
