/**
 * The bus's counters. One plain object, shared by every part of the bus and
 * bumped in place (`counters.framesIn++`): a field increment on every
 * message's path, with no method call and no event in between.
 *
 * Room for: a new counter (add it to {@link BusStats} and {@link newCounters});
 * exporting them as metrics (read `bus.stats()`, never these fields).
 */
import type { ReassemblerStats } from '../fragment/index.js';

/** Counters of what a bus did and dropped, for metrics and tests. */
export interface BusStats {
  framesIn: number;
  framesOut: number;
  fragmentsOut: number;
  /** Frames dropped because they could not be decoded (`DECODE_FAILED`). */
  decodeFailed: number;
  /** Frames dropped because of another wire version. */
  unsupportedVersion: number;
  /** Peers disconnected by this bus for sending malformed frames. */
  peersDropped: number;
  /**
   * Interest announcements this server refused (`maxInterestsPerPeer`):
   * malformed ones, whose peers are dropped (and counted in `peersDropped`),
   * and ones over the count, whose peers are kept and sent every event.
   */
  interestsRefused: number;
  requestsSent: number;
  requestsTimedOut: number;
  requestsCancelled: number;
  /** Responses for requests no longer waiting (late after a timeout or cancel). */
  lateResponses: number;
  requestsHandled: number;
  handlerErrors: number;
  noHandler: number;
  eventsPublished: number;
  eventsReceived: number;
  eventsRelayed: number;
  /**
   * Times a relaying bus stopped reading a sender because an event it relayed
   * waited for a receiver's full link (flow control; reading resumes once
   * the receivers took what waited).
   */
  relayHolds: number;
  /** Relayed events a receiver's link refused (the receiver left or was dropped meanwhile). */
  relayFailed: number;
  /** Messages a middleware chose not to pass on. */
  middlewareDropped: number;
  /** Requests answered `BUSY` because their peer had `maxActiveHandlersPerPeer` handlers running. */
  requestsBusy: number;
  /**
   * Requests not run because nothing could carry their answer: they came over
   * a one-way transport, or their peer left while inbound middleware held them.
   */
  requestsUnanswerable: number;
  pendingRequests: number;
  activeHandlers: number;
  reassembly: ReassemblerStats;
}

/** The counted part of {@link BusStats}; the rest is read from the parts that hold it. */
export type Counters = Omit<BusStats, 'pendingRequests' | 'activeHandlers' | 'reassembly'>;

/** Fresh counters, all zero. */
export function newCounters(): Counters {
  return {
    framesIn: 0,
    framesOut: 0,
    fragmentsOut: 0,
    decodeFailed: 0,
    unsupportedVersion: 0,
    peersDropped: 0,
    interestsRefused: 0,
    requestsSent: 0,
    requestsTimedOut: 0,
    requestsCancelled: 0,
    lateResponses: 0,
    requestsHandled: 0,
    handlerErrors: 0,
    noHandler: 0,
    eventsPublished: 0,
    eventsReceived: 0,
    eventsRelayed: 0,
    relayHolds: 0,
    relayFailed: 0,
    middlewareDropped: 0,
    requestsBusy: 0,
    requestsUnanswerable: 0,
  };
}
