import { invalidArgument } from '../errors/bus-error.js';
import { MAX_TIMER_MS, systemClock, type Clock } from '../clock/clock.js';
import { MAX_FRAGMENT_COUNT } from './fragment-header.js';
import { bookkeepingBytes } from './partial-message.js';

/**
 * Why a {@link FrameReassembler} dropped something:
 * - `malformed`: the frame cannot be a fragment (too short, wrong byte 0,
 *   count 0, index out of range, chunk sizes that cannot add up to the total).
 * - `too-large`: it announces a message larger than `maxMessageSize`.
 * - `inconsistent`: it disagrees with earlier fragments of the same message
 *   (count, total or chunk size); the partial message is dropped with it.
 * - `duplicate`: a fragment already held, or any fragment of a message that
 *   was recently completed (broadcasts arrive once per network protocol).
 * - `expired`: a partial message reached `timeoutMs` (reported once per message).
 * - `evicted`: a partial message was dropped to make room (once per message).
 */
export type FragmentDropReason = 'malformed' | 'duplicate' | 'expired' | 'evicted' | 'too-large' | 'inconsistent';

/** Options of a {@link FrameReassembler}; every one has a default. */
export interface FrameReassemblerOptions {
  /** Time source for expiry. Default: `systemClock`. Inject a virtual clock in tests. */
  clock?: Clock;
  /** Largest message accepted, in bytes. Default 16 MiB. Larger announcements are dropped as `too-large`. */
  maxMessageSize?: number;
  /**
   * Bytes held over all partial messages, from all senders. Default 64 MiB
   * (or `maxBufferedBytesPerSender` if larger). A partial message holds the
   * 4 KiB blocks its fragments landed in plus one bit per fragment, and all
   * of it is counted, so this is a true bound on buffer memory. Reaching it
   * evicts the oldest partial message of the sender holding the most bytes.
   * Must be at least `maxBufferedBytesPerSender`.
   */
  maxBufferedBytes?: number;
  /**
   * Partial messages held at once, from all senders. Default 1024. Reaching
   * it evicts the oldest partial message of the sender holding the most.
   */
  maxPendingMessages?: number;
  /**
   * Bytes the partial messages of one sender may hold. A sender is the `owner`
   * given to `push` (the bus gives the peer's process, pid and uid, where the
   * transport reads them from the kernel, else its transport peer id). A sender over it loses its own oldest partial messages, never
   * another sender's. Default a quarter of `maxBufferedBytes`, but at least
   * the minimum: `maxMessageSize` plus the largest message's bookkeeping
   * (one bit per fragment, `ceil(min(maxMessageSize, 65535) / 8)` bytes), so
   * that one message of the largest size always fits. At most `maxBufferedBytes`.
   */
  maxBufferedBytesPerSender?: number;
  /**
   * Partial messages one sender may hold at once; beyond it that sender's
   * oldest is evicted. Default a quarter of `maxPendingMessages` (at least 1);
   * from 1 to `maxPendingMessages`.
   */
  maxPendingMessagesPerSender?: number;
  /** Age (since its first fragment) at which a partial message is dropped. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * How many finished message keys are remembered, so that late copies of a
   * finished message are dropped instead of starting a partial message that
   * can only expire. Default 4096; 0 turns this off.
   */
  recentCapacity?: number;
  /**
   * Called for every drop, with the transport peer id the frame came from.
   * For diagnostics only: it runs inside `push`, so keep it cheap. If it
   * throws, the error is rethrown from a microtask and `push` carries on.
   */
  onDrop?: (reason: FragmentDropReason, source: string) => void;
}

/** Counters of a {@link FrameReassembler}, as a fresh plain object. */
export interface ReassemblerStats {
  /** Frames passed to `push`, whatever became of them. */
  fragmentsReceived: number;
  /** Messages returned by `push`. */
  messagesCompleted: number;
  /** Fragments dropped as `duplicate`. */
  duplicatesDropped: number;
  /** Fragments dropped as `malformed`, `too-large` or `inconsistent`. */
  malformedDropped: number;
  /** Partial messages dropped at `timeoutMs`. */
  expired: number;
  /** Partial messages dropped to respect `maxPendingMessages` / `maxBufferedBytes`. */
  evicted: number;
  /**
   * Fragments that arrived after their message had already been given up
   * (expired, evicted or inconsistent) and were dropped at once; `onDrop`
   * gets the reason the message was given up for.
   */
  lateDropped: number;
  /** Partial messages held now. */
  pendingMessages: number;
  /** Bytes held by partial messages now (data blocks and bookkeeping). */
  bufferedBytes: number;
  /** Senders (owners: processes, or peer ids where no pid is known) holding partial messages now. */
  senders: number;
  /** Bytes held now by the sender holding the most. */
  largestSenderBytes: number;
}

const MiB = 1024 * 1024;
const DEFAULTS = {
  maxMessageSize: 16 * MiB,
  maxBufferedBytes: 64 * MiB,
  maxPendingMessages: 1024,
  timeoutMs: 30_000,
  recentCapacity: 4096,
} as const;

/** The largest total a fragment header can carry. */
const MAX_TOTAL = 0xffff_ffff;

/** Options with defaults applied and every value checked (internal). */
export type ResolvedReassemblerOptions = Readonly<
  Required<Omit<FrameReassemblerOptions, 'onDrop'>> & Pick<FrameReassemblerOptions, 'onDrop'>
>;

/**
 * Applies defaults and checks every option, so a mistake is reported when the
 * reassembler is built, with what to change, instead of as odd drops later.
 */
export function resolveReassemblerOptions(options: FrameReassemblerOptions = {}): ResolvedReassemblerOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('FrameReassembler options must be an object, e.g. new FrameReassembler({ timeoutMs: 5000 })');
  }
  const clock = options.clock ?? systemClock;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw invalidArgument('FrameReassembler: clock must implement now(), setTimeout() and clearTimeout() (see Clock); omit it to use systemClock');
  }
  const maxMessageSize = intOption('maxMessageSize', options.maxMessageSize, DEFAULTS.maxMessageSize, 1, MAX_TOTAL);
  const maxBufferedBytes = intOption('maxBufferedBytes', options.maxBufferedBytes, Math.max(DEFAULTS.maxBufferedBytes, minBufferedBytesPerSender(maxMessageSize)), 1, Number.MAX_SAFE_INTEGER);
  const maxPendingMessages = intOption('maxPendingMessages', options.maxPendingMessages, DEFAULTS.maxPendingMessages, 1, Number.MAX_SAFE_INTEGER);
  const minSenderBytes = minBufferedBytesPerSender(maxMessageSize);
  const maxPendingMessagesPerSender = intOption(
    'maxPendingMessagesPerSender',
    options.maxPendingMessagesPerSender,
    Math.max(1, Math.floor(maxPendingMessages / 4)),
    1,
    maxPendingMessages,
  );
  const recentCapacity = intOption('recentCapacity', options.recentCapacity, DEFAULTS.recentCapacity, 0, Number.MAX_SAFE_INTEGER);
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  // Node clamps timers above 2^31-1 ms to 1 ms, which would expire everything at once.
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw invalidArgument(`FrameReassembler: timeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(timeoutMs)}`, {
      timeoutMs,
    });
  }
  if (maxMessageSize > maxBufferedBytes) {
    throw invalidArgument(
      `FrameReassembler: maxMessageSize (${maxMessageSize}) exceeds maxBufferedBytes (${maxBufferedBytes}), so such a message could never be buffered; raise maxBufferedBytes or lower maxMessageSize`,
      { maxMessageSize, maxBufferedBytes },
    );
  }
  if (maxBufferedBytes < minSenderBytes) {
    throw invalidArgument(
      `FrameReassembler: maxBufferedBytes must be at least ${minSenderBytes} (maxMessageSize ${maxMessageSize} plus its fragments' bookkeeping), got ${maxBufferedBytes}; raise maxBufferedBytes or lower maxMessageSize`,
      { maxMessageSize, maxBufferedBytes },
    );
  }
  const maxBufferedBytesPerSender = intOption(
    'maxBufferedBytesPerSender',
    options.maxBufferedBytesPerSender,
    Math.max(minSenderBytes, Math.floor(maxBufferedBytes / 4)),
    minSenderBytes,
    maxBufferedBytes,
  );
  if (options.onDrop !== undefined && typeof options.onDrop !== 'function') {
    throw invalidArgument('FrameReassembler: onDrop must be a function (reason, source) => void');
  }
  return {
    clock,
    maxMessageSize,
    maxBufferedBytes,
    maxPendingMessages,
    maxBufferedBytesPerSender,
    maxPendingMessagesPerSender,
    timeoutMs,
    recentCapacity,
    onDrop: options.onDrop,
  };
}

/**
 * The least a sender's share may be: one message of `maxMessageSize` and its
 * bookkeeping (a fragment holds at least one byte, and at most 65535 of them).
 */
export function minBufferedBytesPerSender(maxMessageSize: number): number {
  return maxMessageSize + bookkeepingBytes(Math.min(maxMessageSize, MAX_FRAGMENT_COUNT));
}

function intOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer from ${min}`;
    throw invalidArgument(
      `FrameReassembler: ${name} must be ${range}${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got ${String(value)}; omit it for the default ${fallback}`,
      { [name]: value },
    );
  }
  return value;
}
