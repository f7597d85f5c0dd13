/** What a NATS transport counted and dropped: nothing is lost silently. */
import type { FragmentPulls } from './fragment-pull.js';
import type { ReconnectBuffer } from './reconnect-buffer.js';

/** Counters of a {@link NatsTransport}, as a fresh object from its `stats()`. */
export interface NatsTransportStats {
  /**
   * Messages on our subjects that no pipebus transport sent (no parsable
   * reply-to or sender), and pulls of a large message's fragments claiming a
   * peer id never heard from: another NATS client's, dropped.
   */
  readonly foreignMessages: number;
  /** Messages from a peer this transport dropped (`dropPeer`), ignored while its ban lasts. */
  readonly bannedMessages: number;
  /**
   * "No responders" notices from the server (status 503): a request nobody
   * handles (the caller got `NO_HANDLER`), or a frame to a peer that is gone.
   */
  readonly noResponders: number;
  /** Frames from a new peer ignored because `maxPeers` peers were known already. */
  readonly peersRefused: number;
  /** Frames held now while the link is down. */
  readonly reconnectBuffered: number;
  /** Sends refused with `BUSY` because the reconnect buffer was full. */
  readonly reconnectRejected: number;
  /** Large messages whose fragments wait in the store for their receivers to pull them. */
  readonly fragmentStoreMessages: number;
  /** Pulls for a message no longer in the store (it expired, or its one receiver took it). */
  readonly fragmentPullsMissed: number;
  /** NATS subscriptions open for the bus's handlers and subscriptions (and cancels). */
  readonly interestSubscriptions: number;
}

/** The mutable counters behind {@link NatsTransportStats} (internal). */
export class Counters {
  foreignMessages = 0;
  bannedMessages = 0;
  noResponders = 0;

  snapshot(buffer: ReconnectBuffer, pulls: FragmentPulls, peersRefused: number, interestSubscriptions: number): NatsTransportStats {
    return {
      foreignMessages: this.foreignMessages,
      bannedMessages: this.bannedMessages,
      noResponders: this.noResponders,
      peersRefused,
      reconnectBuffered: buffer.frames,
      reconnectRejected: buffer.rejected,
      fragmentStoreMessages: pulls.size,
      fragmentPullsMissed: pulls.missed,
      interestSubscriptions,
    };
  }
}
