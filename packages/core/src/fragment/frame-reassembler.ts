import type { Clock, TimerHandle } from '../clock/clock.js';
import { FRAGMENT_FRAME_BYTE } from '../wire/frame-types.js';
import { FRAGMENT_HEADER_SIZE, readFragmentHeader } from './fragment-header.js';
import { resolveReassemblerOptions } from './reassembler-options.js';
import type { FragmentDropReason, FrameReassemblerOptions, ReassemblerStats } from './reassembler-options.js';

/** One message being put back together. */
interface PartialMessage {
  readonly key: string;
  readonly source: string;
  readonly count: number;
  readonly total: number;
  /** Bytes in every fragment but the last (the wire format's layout rule). */
  readonly chunkSize: number;
  readonly buffer: Uint8Array;
  /** One bit per fragment index already copied into `buffer`. */
  readonly received: Uint8Array;
  receivedCount: number;
  readonly deadline: number;
}

/** How a finished message ended; decides how its late fragments are reported. */
type Outcome = 'completed' | 'expired' | 'evicted' | 'inconsistent';

/**
 * Puts fragment frames made by a `Fragmenter` back into the original message
 * frames, whatever order they arrive in, from any number of senders.
 *
 * Everything it receives comes from peers, so `push` never throws: a frame
 * that makes no sense is counted, reported to `onDrop` and ignored. Memory is
 * bounded by `maxBufferedBytes` and `maxPendingMessages` plus a small fixed
 * cost per remembered key, however many bogus half-messages a peer sends;
 * the oldest partial messages are evicted first.
 *
 * Messages are keyed by transport peer id (`source`) + sender id + sequence.
 * On a transport without peer identity (a mailslot) pass one constant source:
 * the sender id alone then tells senders apart, and the copies of a domain
 * broadcast that arrive once per network protocol are recognised as duplicates.
 *
 * @example
 * ```ts
 * const reassembler = new FrameReassembler({ onDrop: (why, peer) => log.debug({ why, peer }) });
 * transport.frames$.subscribe(({ data, peer }) => {
 *   const message = frameType(data) === FrameType.Fragment ? reassembler.push(data, peer.id) : data;
 *   if (message) dispatch(message);
 * });
 * // on shutdown
 * reassembler.close();
 * ```
 */
export class FrameReassembler {
  readonly #clock: Clock;
  readonly #maxMessageSize: number;
  readonly #maxBufferedBytes: number;
  readonly #maxPendingMessages: number;
  readonly #timeoutMs: number;
  readonly #recentCapacity: number;
  readonly #onDrop: ((reason: FragmentDropReason, source: string) => void) | undefined;

  /** Insertion order is creation order, hence also deadline order: the oldest is first. */
  readonly #partials = new Map<string, PartialMessage>();
  /** Keys of finished messages, oldest first (a FIFO bounded by recentCapacity). */
  readonly #recent = new Map<string, Outcome>();
  #bufferedBytes = 0;
  /** One sweep timer for the oldest partial, rather than one timer per partial. */
  #timer: TimerHandle | undefined;

  #fragmentsReceived = 0;
  #messagesCompleted = 0;
  #duplicatesDropped = 0;
  #malformedDropped = 0;
  #expired = 0;
  #evicted = 0;
  #lateDropped = 0;

  constructor(options: FrameReassemblerOptions = {}) {
    const resolved = resolveReassemblerOptions(options);
    this.#clock = resolved.clock;
    this.#maxMessageSize = resolved.maxMessageSize;
    this.#maxBufferedBytes = resolved.maxBufferedBytes;
    this.#maxPendingMessages = resolved.maxPendingMessages;
    this.#timeoutMs = resolved.timeoutMs;
    this.#recentCapacity = resolved.recentCapacity;
    this.#onDrop = resolved.onDrop;
  }

  /**
   * Takes one fragment frame received from `source` (the transport's peer
   * id). Returns the whole message frame when this fragment was the last one
   * missing, else `undefined`. Never throws: frames that make no sense are
   * counted in {@link stats} and reported to `onDrop`.
   *
   * The returned bytes are a new buffer, except for a single-fragment message,
   * which is a view into `frame` (transports hand over frames they no longer use).
   */
  push(frame: Uint8Array, source: string): Uint8Array | undefined {
    this.#fragmentsReceived++;
    if (!(frame instanceof Uint8Array) || frame.length <= FRAGMENT_HEADER_SIZE || frame[0] !== FRAGMENT_FRAME_BYTE) {
      return this.#dropFragment('malformed', source);
    }
    const { senderId, sequence, index, count, total } = readFragmentHeader(frame);
    const chunkLength = frame.length - FRAGMENT_HEADER_SIZE;
    if (count === 0 || index >= count || total === 0 || count > total) {
      return this.#dropFragment('malformed', source);
    }
    if (total > this.#maxMessageSize) return this.#dropFragment('too-large', source);

    // Which chunk size this fragment implies; every fragment of one message
    // must imply the same one, and it must add up to `total`.
    const last = index === count - 1;
    let chunkSize: number;
    if (count === 1) {
      if (chunkLength !== total) return this.#dropFragment('malformed', source);
      chunkSize = total;
    } else if (last) {
      const rest = total - chunkLength;
      chunkSize = rest / (count - 1);
      if (!Number.isInteger(chunkSize) || chunkSize < chunkLength) return this.#dropFragment('malformed', source);
    } else {
      chunkSize = chunkLength;
      const lastLength = total - (count - 1) * chunkSize;
      if (lastLength < 1 || lastLength > chunkSize) return this.#dropFragment('malformed', source);
    }

    const key = `${senderId}:${sequence}:${source}`;
    const outcome = this.#recent.get(key);
    if (outcome !== undefined) {
      if (outcome === 'completed') {
        this.#duplicatesDropped++;
        return this.#report('duplicate', source);
      }
      // Its earlier fragments are gone: a new partial could only expire.
      this.#lateDropped++;
      return this.#report(outcome, source);
    }

    if (count === 1) {
      this.#remember(key, 'completed');
      this.#messagesCompleted++;
      return frame.subarray(FRAGMENT_HEADER_SIZE);
    }

    let partial = this.#partials.get(key);
    if (partial === undefined) {
      partial = this.#open(key, source, count, total, chunkSize);
    } else if (partial.count !== count || partial.total !== total || partial.chunkSize !== chunkSize) {
      this.#discard(partial);
      this.#remember(key, 'inconsistent');
      return this.#dropFragment('inconsistent', source);
    }

    const bit = 1 << (index & 7);
    const byte = index >>> 3;
    if ((partial.received[byte]! & bit) !== 0) {
      this.#duplicatesDropped++;
      return this.#report('duplicate', source);
    }
    partial.received[byte] = partial.received[byte]! | bit;
    partial.receivedCount++;
    partial.buffer.set(frame.subarray(FRAGMENT_HEADER_SIZE), index * chunkSize);

    if (partial.receivedCount < count) return undefined;
    this.#discard(partial);
    this.#remember(key, 'completed');
    this.#messagesCompleted++;
    return partial.buffer;
  }

  /** A snapshot of the counters; a new object each call. */
  stats(): ReassemblerStats {
    return {
      fragmentsReceived: this.#fragmentsReceived,
      messagesCompleted: this.#messagesCompleted,
      duplicatesDropped: this.#duplicatesDropped,
      malformedDropped: this.#malformedDropped,
      expired: this.#expired,
      evicted: this.#evicted,
      lateDropped: this.#lateDropped,
      pendingMessages: this.#partials.size,
      bufferedBytes: this.#bufferedBytes,
    };
  }

  /**
   * Drops every partial message and cancels the expiry timer, so nothing of
   * this instance keeps running. Counters are kept. The instance stays usable;
   * `push` after `close` simply starts afresh.
   */
  close(): void {
    this.#cancelTimer();
    this.#partials.clear();
    this.#recent.clear();
    this.#bufferedBytes = 0;
  }

  #open(key: string, source: string, count: number, total: number, chunkSize: number): PartialMessage {
    // Make room first, oldest first. total <= maxMessageSize <= maxBufferedBytes,
    // so this always ends with enough room.
    for (const oldest of this.#partials.values()) {
      if (this.#partials.size < this.#maxPendingMessages && this.#bufferedBytes + total <= this.#maxBufferedBytes) break;
      this.#discard(oldest);
      this.#remember(oldest.key, 'evicted');
      this.#evicted++;
      this.#report('evicted', oldest.source);
    }
    const partial: PartialMessage = {
      key,
      source,
      count,
      total,
      chunkSize,
      // Zero-filled memory comes from fresh OS pages for large sizes, so a bogus
      // announcement costs address space rather than work until it is written.
      buffer: new Uint8Array(total),
      received: new Uint8Array((count + 7) >>> 3),
      receivedCount: 0,
      deadline: this.#clock.now() + this.#timeoutMs,
    };
    this.#partials.set(key, partial);
    this.#bufferedBytes += total;
    if (this.#timer === undefined) this.#schedule(partial.deadline);
    return partial;
  }

  #discard(partial: PartialMessage): void {
    this.#partials.delete(partial.key);
    this.#bufferedBytes -= partial.total;
    // The sweep timer may stay armed for a removed head: it fires, finds
    // nothing due and re-arms. Only an empty table needs no timer at all.
    if (this.#partials.size === 0) this.#cancelTimer();
  }

  #remember(key: string, outcome: Outcome): void {
    if (this.#recentCapacity === 0) return;
    this.#recent.set(key, outcome);
    if (this.#recent.size > this.#recentCapacity) {
      const oldest = this.#recent.keys().next();
      if (oldest.done !== true) this.#recent.delete(oldest.value);
    }
  }

  #schedule(deadline: number): void {
    this.#cancelTimer();
    const delay = Math.max(1, Math.ceil(deadline - this.#clock.now()));
    this.#timer = this.#clock.setTimeout(() => this.#sweep(), delay);
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    for (const partial of this.#partials.values()) {
      if (partial.deadline > now) {
        this.#schedule(partial.deadline);
        return;
      }
      this.#discard(partial);
      this.#remember(partial.key, 'expired');
      this.#expired++;
      this.#report('expired', partial.source);
    }
  }

  #dropFragment(reason: FragmentDropReason, source: string): undefined {
    this.#malformedDropped++;
    return this.#report(reason, source);
  }

  #report(reason: FragmentDropReason, source: string): undefined {
    if (this.#onDrop === undefined) return undefined;
    try {
      this.#onDrop(reason, source);
    } catch (error) {
      // A diagnostics hook must not break reassembly (state is already
      // consistent here), nor fail silently: surface it like a listener error.
      queueMicrotask(() => {
        throw error;
      });
    }
    return undefined;
  }
}
