/**
 * What happened to one frame on one link, most significant first:
 *
 * - `dropped` — never delivered: lost to a fault, or in flight when its link
 *   was severed (see {@link TrafficEntry.dropReason}).
 * - `corrupted` — delivered with one byte flipped ({@link TrafficEntry.corruptedAt}).
 * - `duplicated` — delivered twice, the copy right after the original.
 * - `reordered` — held back and delivered right after the next frame on the
 *   same link. If no frame follows before the virtual clock next runs timers
 *   (`advance`, `runAll`), the held frame is released then and, since nothing
 *   overtook it, its record loses the `reordered` fault.
 * - `delayed` — delivered after {@link TrafficEntry.delayMs} of virtual time.
 * - `delivered` — delivered once, unchanged, without time passing.
 *
 * A frame can suffer several faults (a corrupted frame may also be delayed):
 * `fate` names the most significant, {@link TrafficEntry.faults} lists all.
 */
export type FrameFate = 'delivered' | 'dropped' | 'duplicated' | 'corrupted' | 'delayed' | 'reordered';

/**
 * One frame offered to one link. A send that reaches several receivers (a
 * listener's send to all clients, a mailslot broadcast) gives one entry per
 * receiver. Frames rejected by `send()` before reaching a link (too large,
 * transport closed, link full and then severed) are not recorded.
 */
export interface TrafficEntry {
  /** Network-wide order in which frames entered their links, from 1. */
  readonly seq: number;
  /** Virtual time when the link accepted the frame. */
  readonly time: number;
  /** Sender: a listener's address or a client's / member's peer id. */
  readonly from: string;
  /** Receiver, named the same way. */
  readonly to: string;
  /** The listener or mailslot group address the link belongs to. */
  readonly address: string;
  /** Frame length in bytes. */
  readonly size: number;
  /** The bytes as sent (a copy, before any corruption). */
  readonly data: Uint8Array;
  /** The frame's fate; may change from its initial value to `dropped` if the link is severed in flight. */
  readonly fate: FrameFate;
  /** Every fault applied, in the order applied (`dropped` ends the list). */
  readonly faults: readonly Exclude<FrameFate, 'delivered'>[];
  /** For `dropped`: a fault, or the link severed while the frame was in flight. */
  readonly dropReason?: 'fault' | 'severed';
  /** For a corrupted frame: the index of the flipped byte. */
  readonly corruptedAt?: number;
  /** For a delayed frame: the virtual delay in ms. */
  readonly delayMs?: number;
}

/** The mutable form the network keeps; readers see {@link TrafficEntry}. */
export type MutableTrafficEntry = { -readonly [K in keyof TrafficEntry]: TrafficEntry[K] };

const SIGNIFICANCE: readonly FrameFate[] = ['dropped', 'corrupted', 'duplicated', 'reordered', 'delayed'];

/** The most significant of `faults`, or `delivered`. */
export function fateOf(faults: readonly FrameFate[]): FrameFate {
  return SIGNIFICANCE.find((f) => faults.includes(f)) ?? 'delivered';
}
