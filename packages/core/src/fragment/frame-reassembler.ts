import type { Clock, TimerHandle } from '../clock/clock.js';
import { FRAGMENT_FRAME_BYTE } from '../wire/frame-types.js';
import { FRAGMENT_HEADER_SIZE, readFragmentHeader } from './fragment-header.js';
import { PartialMessage } from './partial-message.js';
import { resolveReassemblerOptions } from './reassembler-options.js';
import type { FragmentDropReason, FrameReassemblerOptions, ReassemblerStats } from './reassembler-options.js';

/** What one sender (a process, or a transport peer) holds: its partial messages, oldest first, and their bytes. */
interface SenderShare {
  readonly partials: Map<string, PartialMessage>;
  held: number;
}

/** How a finished message ended; decides how its late fragments are reported. */
type Outcome = 'completed' | 'expired' | 'evicted' | 'inconsistent';

/**
 * Puts fragment frames made by a `Fragmenter` back into the original message
 * frames, whatever order they arrive in, from any number of senders.
 *
 * Everything it receives comes from peers, so `push` never throws: a frame
 * that makes no sense is counted, reported to `onDrop` and ignored. Memory
 * grows with the fragments received, a 4 KiB block at a time, never with the
 * total a first fragment announces; every byte held is counted. It is bounded
 * per sender (`maxBufferedBytesPerSender`, `maxPendingMessagesPerSender`):
 * a sender over its share loses its own oldest partial messages, never
 * another sender's. Over all senders it is bounded by `maxBufferedBytes` and
 * `maxPendingMessages`; reaching those evicts the oldest partial message of
 * the sender holding the most. Plus a small fixed cost per partial message
 * and per remembered key.
 *
 * Messages are keyed by transport peer id (`source`) + sender id + sequence.
 * Quotas are per `owner` (default: `source`): pass the sender's process where
 * the OS vouches for it, so that one process sending under many peer ids (a
 * socket name per message) still has one share, not one per name.
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
  readonly #maxSenderBytes: number;
  readonly #maxSenderMessages: number;
  readonly #timeoutMs: number;
  readonly #recentCapacity: number;
  readonly #onDrop: ((reason: FragmentDropReason, source: string) => void) | undefined;

  /** Insertion order is creation order, hence also deadline order: the oldest is first. */
  readonly #partials = new Map<string, PartialMessage>();
  /** Per sender: its partials (insertion order, so oldest first) and the bytes they hold. */
  readonly #senders = new Map<string, SenderShare>();
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
    this.#maxSenderBytes = resolved.maxBufferedBytesPerSender;
    this.#maxSenderMessages = resolved.maxPendingMessagesPerSender;
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
   *
   * @param owner - whose per-sender share the message counts against; default
   *   `source`. Give one key per kernel-verified process (see the bus's
   *   `reassemblyOwner`), never anything the sender chooses.
   */
  push(frame: Uint8Array, source: string, owner: string = source): Uint8Array | undefined {
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
    if (partial !== undefined && (partial.count !== count || partial.total !== total || partial.chunkSize !== chunkSize)) {
      this.#discard(partial);
      this.#remember(key, 'inconsistent');
      return this.#dropFragment('inconsistent', source);
    }
    if (partial?.has(index)) {
      this.#duplicatesDropped++;
      return this.#report('duplicate', source);
    }
    if (partial === undefined) {
      partial = new PartialMessage(key, source, owner, count, total, chunkSize, this.#clock.now() + this.#timeoutMs);
      this.#makeRoom(owner, partial.held + partial.growth(index, chunkLength), undefined);
      this.#open(partial);
    } else {
      this.#makeRoom(partial.owner, partial.growth(index, chunkLength), partial);
    }
    const before = partial.held;
    partial.add(index, frame.subarray(FRAGMENT_HEADER_SIZE));
    this.#account(partial, partial.held - before);

    if (!partial.complete) return undefined;
    this.#discard(partial);
    this.#remember(key, 'completed');
    this.#messagesCompleted++;
    return partial.join();
  }

  /**
   * Forgets every partial message of `source`, whose link is gone: its
   * missing fragments cannot come any more. Not reported as a drop.
   */
  forgetSender(source: string): void {
    // Shares are per owner, which may hold other peers' partials: pick this
    // peer's out of all of them (at most maxPendingMessages, once per disconnect).
    for (const partial of [...this.#partials.values()]) {
      if (partial.source !== source) continue;
      this.#discard(partial);
      this.#remember(partial.key, 'expired');
    }
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
      senders: this.#senders.size,
      largestSenderBytes: this.#largestShare('held')?.held ?? 0,
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
    this.#senders.clear();
    this.#recent.clear();
    this.#bufferedBytes = 0;
  }

  /**
   * Evicts partial messages until `bytes` more (and, when `growing` is
   * undefined, one more partial message) fit for `owner`: first its own
   * oldest while it is over its share, then, while the total is over, the
   * oldest of whichever owner holds the most. `growing` is never evicted;
   * it fits by itself (total + bookkeeping <= the per-sender share, checked
   * at construction).
   */
  #makeRoom(owner: string, bytes: number, growing: PartialMessage | undefined): void {
    const opening = growing === undefined ? 1 : 0;
    const own = this.#senders.get(owner);
    while (own !== undefined && (own.held + bytes > this.#maxSenderBytes || own.partials.size + opening > this.#maxSenderMessages)) {
      if (!this.#evictOldest(own, growing)) break;
    }
    while (this.#bufferedBytes + bytes > this.#maxBufferedBytes) {
      const share = this.#largestShare('held', growing);
      if (share === undefined || !this.#evictOldest(share, growing)) break;
    }
    while (this.#partials.size + opening > this.#maxPendingMessages) {
      const share = this.#largestShare('partials', growing);
      if (share === undefined || !this.#evictOldest(share, growing)) break;
    }
  }

  /** The share holding the most bytes (or partials) that has something other than `keep` to give. */
  #largestShare(by: 'held' | 'partials', keep?: PartialMessage): SenderShare | undefined {
    let largest: SenderShare | undefined;
    let most = -1;
    for (const share of this.#senders.values()) {
      const amount = by === 'held' ? share.held : share.partials.size;
      if (amount <= most) continue;
      if (keep !== undefined && share.partials.size === 1 && share.partials.has(keep.key)) continue;
      largest = share;
      most = amount;
    }
    return largest;
  }

  /** Evicts the oldest partial of `share` other than `keep`; false when there is none. */
  #evictOldest(share: SenderShare, keep: PartialMessage | undefined): boolean {
    for (const oldest of share.partials.values()) {
      if (oldest === keep) continue;
      this.#discard(oldest);
      this.#remember(oldest.key, 'evicted');
      this.#evicted++;
      this.#report('evicted', oldest.source);
      return true;
    }
    return false;
  }

  #open(partial: PartialMessage): void {
    this.#partials.set(partial.key, partial);
    let share = this.#senders.get(partial.owner);
    if (share === undefined) this.#senders.set(partial.owner, (share = { partials: new Map(), held: 0 }));
    share.partials.set(partial.key, partial);
    this.#account(partial, partial.held);
    if (this.#timer === undefined) this.#schedule(partial.deadline);
  }

  #account(partial: PartialMessage, bytes: number): void {
    this.#bufferedBytes += bytes;
    this.#senders.get(partial.owner)!.held += bytes;
  }

  #discard(partial: PartialMessage): void {
    if (!this.#partials.delete(partial.key)) return;
    this.#bufferedBytes -= partial.held;
    const share = this.#senders.get(partial.owner)!;
    share.partials.delete(partial.key);
    share.held -= partial.held;
    if (share.partials.size === 0) this.#senders.delete(partial.owner);
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
