import type { Clock } from '@pipebus/core';
import type { InboundBudget } from './inbound-budget.js';
import type { DeadlineOptions } from './read-deadlines.js';

// The shape of a link as its owner (the server or client transport) sees it:
// how it is configured, what it reports, and what a queued frame costs.

/** Why a link cut its peer: a frame above the limit, a stream cut mid-frame, not reading, or too slow to send. */
export type LinkFault = 'oversize' | 'truncated' | 'flood' | 'slow';

/** How a link frames and bounds its traffic. */
export interface LinkOptions {
  readonly raw: boolean;
  readonly maxFrameSize: number;
  /**
   * Memory that may wait for the peer to read: queued frames charged at
   * {@link queuedFrameCost}, plus what the socket holds unflushed. Beyond it a
   * client's send fails BUSY and a server drops the peer.
   */
  readonly maxPendingSendBytes: number;
  /** Server side: stop reading a peer while it is not reading our answers (never on a client: both sides pausing would deadlock). */
  readonly pauseReadsWhenBlocked: boolean;
  /** Server side: a peer whose link stays full this long without draining is dropped as not reading. */
  readonly stallTimeoutMs?: number;
  /** Server side: how long a peer may make us wait for its first frame and for the rest of a frame it started. */
  readonly deadlines?: DeadlineOptions;
  /** Server side: the bound on unfinished frames across all links (`maxInboundBufferBytes`) this link draws on. */
  readonly inbound?: InboundBudget;
  /** The clock of the deadlines and the stall timer: the transport's `clock` option. Default `systemClock`. */
  readonly clock?: Clock;
  /** For log lines and error messages. */
  readonly label: string;
}

/** What a link reports to its owner (the server or client transport). */
export interface LinkHandlers {
  onFrame(data: Uint8Array): void;
  /** Called once, when the link is gone for any reason; `fault` is set when the peer misbehaved. */
  onClose(reason: string, fault?: LinkFault): void;
}

/**
 * Heap one queued send holds besides its bytes: the job, its promise and the
 * resolve/reject pair, the frame's own typed-array object, and the reaction a
 * caller chains to the promise. Measured with test/send-memory.test.ts (about
 * 700 bytes for a 16-byte frame on Node 20, x64, a `.then` chained to each
 * send); rounded up, so a queue of tiny frames stays within the limit.
 */
export const QUEUED_FRAME_OVERHEAD = 768;

/** What a queued frame is charged against `maxPendingSendBytes`. */
export function queuedFrameCost(frame: Uint8Array): number {
  return frame.byteLength + 4 + QUEUED_FRAME_OVERHEAD;
}
