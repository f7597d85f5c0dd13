/**
 * What a routed transport (one that delivers by name, as NATS does by
 * subject) is told beside each frame, and the interests it must make the
 * network deliver here. Plain transports never see either: the bus calls
 * `sendRouted()` and `interest()` only when `capabilities.routed` is true.
 */
import type { Kind } from '../envelope/envelope.js';

/**
 * Where a frame goes on a transport that routes by name: the envelope's
 * kind, id and name, as the bus encoded them. Every fragment of a message
 * carries its message's route, so the transport never parses a frame.
 */
export interface Route {
  /** The envelope kind (`Kind.Request`, `Kind.Event`…). */
  readonly kind: Kind;
  /** The correlation id (0 for events). */
  readonly id: number;
  /** The method or topic. */
  readonly name: string;
}

/**
 * A handler or subscription the transport must make the network deliver
 * here: `method` for `handle()`, `topic` (a pattern, wildcards allowed) for
 * `subscribe()`. With `queue`, one member of the group gets each message.
 */
export interface Interest {
  readonly kind: 'method' | 'topic';
  readonly name: string;
  /** Queue group: the network hands each message to one of its members. */
  readonly queue?: string;
  /**
   * Set by the bus on topic interests: a routed transport puts it in
   * `InboundFrame.via` of each frame it delivers through this interest.
   */
  readonly id?: number;
}
