import type { Clock } from '../clock/index.js';
import { MAX_TIMER_MS, systemClock } from '../clock/clock.js';
import type { Codec, DecodeLimits } from '../codec/index.js';
import { DEFAULT_MAX_DECODED_ELEMENTS, MAX_DECODED_DEPTH } from '../codec/decode-limits.js';
import { jsonCodec } from '../codec/json-codec.js';
import { msgpackCodec, msgpackCompatCodec } from '../codec/msgpack-codec.js';
import { isBuiltinCodec } from '../codec/codec.js';
import { BusError, invalidArgument } from '../errors/bus-error.js';
import { checkKnownKeys } from '../errors/known-keys.js';
import { describeValue } from '../transport/transport.js';
import { minBufferedBytesPerSender } from '../fragment/reassembler-options.js';
import type { Logger } from './logger.js';
import { consoleLogger } from './logger.js';

/** Upper end of `maxActiveHandlersPerPeer`: beyond it the bound would bound nothing. */
const MAX_HANDLERS_PER_PEER = 1 << 20;
/** Upper end of `maxInterestsPerPeer`, for the same reason. */
const MAX_INTERESTS_PER_PEER = 1 << 20;

/**
 * Bounds of the reassembly of fragmented messages. Memory grows with the
 * fragments received (4 KiB blocks), never with the size a fragment
 * announces, and every byte held is counted.
 */
export interface ReassemblyOptions {
  /** Age after which a half-received message is dropped (ms, 1 to 2 147 483 647). Default 30 000. */
  timeoutMs?: number;
  /**
   * Bytes all half-received messages may hold together, from all peers.
   * Default 64 MiB (more if `maxMessageSize` needs it); at least
   * `maxBufferedBytesPerSender`.
   */
  maxBufferedBytes?: number;
  /** Half-received messages held at once, from all peers. Default 1024. */
  maxPendingMessages?: number;
  /**
   * Bytes the half-received messages of one peer may hold; a peer over it
   * loses its own oldest, never another peer's. Default a quarter of
   * `maxBufferedBytes`, at least `maxMessageSize` + its bookkeeping
   * (`maxMessageSize + ceil(min(maxMessageSize, 65535) / 8)`, 16 MiB + 8 KiB
   * by default), up to `maxBufferedBytes`.
   */
  maxBufferedBytesPerSender?: number;
  /**
   * Half-received messages one peer may hold at once. Default a quarter of
   * `maxPendingMessages` (256); from 1 to `maxPendingMessages`.
   */
  maxPendingMessagesPerSender?: number;
}

/** Options of a {@link MessageBus}; every one has a default. */
export interface MessageBusOptions {
  /**
   * Codec for outgoing messages. Default {@link msgpackCodec}. With the
   * built-in codecs the bus refuses payloads they would not carry faithfully
   * (functions, Promises…; see `MessageBus.request`); a codec of your own
   * decides for itself what it can encode (throw to refuse).
   */
  codec?: Codec;
  /** Extra codecs this bus can decode (the built-ins are always known). */
  codecs?: readonly Codec[];
  /** Time source for timeouts. Default the system clock; tests pass a virtual one. */
  clock?: Clock;
  /**
   * Timeout of a request without its own (ms, up to 2 147 483 647, about 24.8
   * days; `Infinity` for none). Default 30 000.
   */
  defaultTimeout?: number;
  /**
   * Largest encoded message, in bytes. A larger message fails with
   * `FRAME_TOO_LARGE` before anything is sent; larger incoming ones are
   * dropped. Default 16 MiB.
   */
  maxMessageSize?: number;
  /** Bounds of fragment reassembly. */
  reassembly?: ReassemblyOptions;
  /** Where drops and peer errors are reported. Default: warnings to stderr. */
  logger?: Logger;
  /** Deliver published events to this bus's own subscribers too. Default true. */
  localDelivery?: boolean;
  /**
   * Forward events received from one peer to every other peer: makes a
   * server bus the hub of a star of clients. Default false. `new MessageBus`
   * throws `NOT_SUPPORTED` for it on a routed transport (NATS), which fans
   * events out itself.
   */
  relay?: boolean;
  /**
   * Flow control of a relaying bus (`relay: true`), in ms. When an event it
   * relays waits for a receiver's full link, the bus stops reading its
   * sender (whose writes, and `publish()`, then wait) until the receivers
   * took what waited: a receiver slower than the sender slows the sender
   * down instead of losing events. A receiver that takes nothing for this
   * long is not waited for any more until it drained: its sender is read
   * again and the receiver's transport drops it once its own bound is
   * exceeded (named pipe: `maxPendingSendBytes`), so a hung receiver costs
   * the others at most this pause. 0 never holds a sender (every receiver's
   * queue then grows to its transport's bound). 0 to 2 147 483 647;
   * default 1000.
   */
  relayHoldTimeout?: number;
  /** Name of this bus in logs. */
  name?: string;
  /**
   * Handlers one peer may have running at once on this bus (Promise handlers
   * until they settle, streams until they end). A request beyond it is
   * answered `BUSY` at once and its handler never runs, so one peer cannot
   * hold unbounded work and memory. 1 to 1 048 576; default 1024 (16 times the
   * 64-deep pipelining of `bench/reqrep`, a few MB of handler state per peer).
   */
  maxActiveHandlersPerPeer?: number;
  /**
   * Subscription patterns one client may announce to this bus when it is a
   * server (`capabilities.server`, which then sends each event only to the
   * clients whose patterns match), with 8 tokens per pattern on average
   * (`a.*.c` is 3; each token costs the server a trie node, ~0.5 KB, so a
   * client holds at most ~19 MB at the default). A client announcing more is told why
   * (`INVALID_ARGUMENT`, once) and kept, but sent every event until it
   * announces few enough; a malformed announcement (a pattern that is not
   * valid or longer than 1024 characters) gets `INVALID_ARGUMENT` or
   * `DECODE_FAILED` and its client is dropped. Both count in
   * `stats().interestsRefused`. On a client, the same bounds: with more
   * distinct patterns (or tokens) subscribed, it asks its server for every
   * event (`>`) instead, with a warning. 1 to 1 048 576; default 4096.
   */
  maxInterestsPerPeer?: number;
  /**
   * Elements (values of any kind: numbers, strings, binaries, containers,
   * extensions) one received message may decode to; a message with more, or
   * nested deeper than 2048 levels, is refused with `DECODE_FAILED` before
   * anything is built. Decoding costs per element, not per byte: without
   * the bound, one 16 MiB frame of empty maps took 14 s and 3 GiB. Bulk data
   * sent as one `Uint8Array` or typed array is one element. 16 to
   * 4 294 967 295; default 262 144. Messages of at most this many bytes are
   * never counted, so a value at or above `maxMessageSize` turns the check off.
   */
  maxDecodedElements?: number;
}

// Every key of the two option types, so that a misspelt one fails (see checkKnownKeys).
const BUS_OPTION_KEYS: ReadonlySet<keyof MessageBusOptions> = new Set<keyof MessageBusOptions>([
  'codec',
  'codecs',
  'clock',
  'defaultTimeout',
  'maxMessageSize',
  'reassembly',
  'logger',
  'localDelivery',
  'relay',
  'relayHoldTimeout',
  'name',
  'maxActiveHandlersPerPeer',
  'maxInterestsPerPeer',
  'maxDecodedElements',
]);
const REASSEMBLY_OPTION_KEYS: ReadonlySet<keyof ReassemblyOptions> = new Set<keyof ReassemblyOptions>([
  'timeoutMs',
  'maxBufferedBytes',
  'maxPendingMessages',
  'maxBufferedBytesPerSender',
  'maxPendingMessagesPerSender',
]);

/** Options with defaults applied and values checked. */
export interface ResolvedBusOptions {
  readonly codec: Codec;
  /** By wire id; carries the limits every decode() of a peer's frame gets. */
  readonly codecs: ReadonlyMap<number, Codec> & { readonly decodeLimits: DecodeLimits };
  readonly clock: Clock;
  readonly defaultTimeout: number;
  readonly maxMessageSize: number;
  readonly reassembly: Required<ReassemblyOptions>;
  readonly logger: Logger;
  readonly localDelivery: boolean;
  readonly relay: boolean;
  readonly relayHoldTimeout: number;
  readonly name: string;
  readonly maxActiveHandlersPerPeer: number;
  readonly maxInterestsPerPeer: number;
  /**
   * Whether outgoing payloads are checked for values the codec would not
   * carry faithfully (functions, Promises…): with the built-in codecs,
   * whose mapping the bus knows. A codec of your own decides for itself.
   */
  readonly checkPayloads: boolean;
}

/**
 * The longest timeout a timer can wait: the clock's `MAX_TIMER_MS`. A longer
 * timeout is refused rather than silently cut short; `Infinity` means no
 * timeout at all.
 */
export const MAX_TIMEOUT_MS = MAX_TIMER_MS;

/** Checks a timeout: a positive number of milliseconds up to {@link MAX_TIMEOUT_MS}, or `Infinity`. */
export function checkTimeout(value: unknown, what: string): number {
  if (value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw invalidArgument(
      `${what} must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS} (about 24.8 days), or Infinity for no timeout, got ${describeValue(value)}`,
    );
  }
  return value;
}

function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidArgument(`${what} must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

function checkIntInRange(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(`${what} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function checkCodec(codec: unknown, what: string): Codec {
  const c = codec as Partial<Codec> | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.encode !== 'function' ||
    typeof c.decode !== 'function' ||
    typeof c.name !== 'string' ||
    typeof c.id !== 'number' ||
    !Number.isInteger(c.id) ||
    c.id < 0 ||
    c.id > 255
  ) {
    throw invalidArgument(`${what} must be a Codec { id: 0-255, name, encode(), decode() }`);
  }
  return c as Codec;
}

/**
 * The bus writes its 2-byte frame header into the headroom a codec leaves;
 * a codec that ignored `headroom` would have its first bytes overwritten, so
 * that is checked once here rather than discovered as corrupt frames.
 */
function checkHeadroom(codec: Codec): void {
  let plain: Uint8Array;
  let roomy: Uint8Array;
  try {
    plain = codec.encode([1, 'probe']);
    roomy = codec.encode([1, 'probe'], 2);
  } catch (error) {
    throw invalidArgument(`codec '${codec.name}' failed to encode a probe value: ${(error as Error).message}`);
  }
  if (!(roomy instanceof Uint8Array) || roomy.byteLength !== plain.byteLength + 2) {
    throw invalidArgument(`codec '${codec.name}' ignores encode(value, headroom): it must return the encoding preceded by 'headroom' spare bytes`);
  }
}

/** Applies defaults and validates; throws `INVALID_ARGUMENT` naming the bad option. */
export function resolveBusOptions(options: MessageBusOptions | undefined): ResolvedBusOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgument(`MessageBus options must be an object such as { defaultTimeout: 5000 }, got ${describeValue(options)}`);
  }
  const o = options ?? {};
  checkKnownKeys('MessageBus', o, BUS_OPTION_KEYS);
  const codec = checkCodec(o.codec ?? msgpackCodec, 'options.codec');
  checkHeadroom(codec);
  const decodeLimits: DecodeLimits = Object.freeze({
    maxElements: checkIntInRange(o.maxDecodedElements ?? DEFAULT_MAX_DECODED_ELEMENTS, 'options.maxDecodedElements', 16, 0xffffffff),
    maxDepth: MAX_DECODED_DEPTH,
  });
  const codecs = Object.assign(new Map<number, Codec>(), { decodeLimits });
  for (const c of [msgpackCodec, msgpackCompatCodec, jsonCodec, ...(o.codecs ?? []), codec]) {
    const checked = checkCodec(c, 'options.codecs[]');
    const existing = codecs.get(checked.id);
    if (existing !== undefined && existing !== checked && existing.name !== checked.name) {
      throw new BusError('INVALID_ARGUMENT', `codec id ${checked.id} is used by both '${existing.name}' and '${checked.name}'; give your codec an id from 128 to 255`);
    }
    codecs.set(checked.id, checked);
  }
  const clock = o.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw invalidArgument('options.clock must implement now(), setTimeout() and clearTimeout()');
  }
  const r = o.reassembly ?? {};
  if (r === null || typeof r !== 'object') {
    throw invalidArgument(`options.reassembly must be an object such as { timeoutMs: 30000 }, got ${describeValue(r)}`);
  }
  checkKnownKeys('MessageBus', r, REASSEMBLY_OPTION_KEYS, 'options.reassembly.');
  const maxMessageSize = checkPositiveInt(o.maxMessageSize ?? 16 * 1024 * 1024, 'options.maxMessageSize');
  if (maxMessageSize > 0xffffffff) {
    throw invalidArgument(`options.maxMessageSize must be at most 4 GiB - 1 (the fragment header holds a u32 total), got ${maxMessageSize}`);
  }
  const minSenderBytes = minBufferedBytesPerSender(maxMessageSize);
  const maxBufferedBytes = checkPositiveInt(r.maxBufferedBytes ?? Math.max(64 * 1024 * 1024, minSenderBytes), 'options.reassembly.maxBufferedBytes');
  if (maxBufferedBytes < minSenderBytes) {
    throw invalidArgument(
      `options.reassembly.maxBufferedBytes (${maxBufferedBytes}) must be at least ${minSenderBytes} (options.maxMessageSize ${maxMessageSize} plus its fragments' bookkeeping), or no message of the largest size could be reassembled`,
    );
  }
  const maxPendingMessages = checkPositiveInt(r.maxPendingMessages ?? 1024, 'options.reassembly.maxPendingMessages');
  return {
    codec,
    codecs,
    clock,
    defaultTimeout: checkTimeout(o.defaultTimeout ?? 30_000, 'options.defaultTimeout'),
    maxMessageSize,
    reassembly: {
      timeoutMs: checkIntInRange(r.timeoutMs ?? 30_000, 'options.reassembly.timeoutMs', 1, MAX_TIMEOUT_MS),
      maxBufferedBytes,
      maxPendingMessages,
      maxBufferedBytesPerSender: checkIntInRange(
        r.maxBufferedBytesPerSender ?? Math.max(minSenderBytes, Math.floor(maxBufferedBytes / 4)),
        'options.reassembly.maxBufferedBytesPerSender',
        minSenderBytes,
        maxBufferedBytes,
      ),
      maxPendingMessagesPerSender: checkIntInRange(
        r.maxPendingMessagesPerSender ?? Math.max(1, Math.floor(maxPendingMessages / 4)),
        'options.reassembly.maxPendingMessagesPerSender',
        1,
        maxPendingMessages,
      ),
    },
    logger: o.logger ?? consoleLogger,
    localDelivery: o.localDelivery ?? true,
    relay: o.relay ?? false,
    relayHoldTimeout: checkIntInRange(o.relayHoldTimeout ?? 1000, 'options.relayHoldTimeout', 0, MAX_TIMEOUT_MS),
    name: typeof o.name === 'string' ? o.name : 'bus',
    maxActiveHandlersPerPeer: checkIntInRange(o.maxActiveHandlersPerPeer ?? 1024, 'options.maxActiveHandlersPerPeer', 1, MAX_HANDLERS_PER_PEER),
    maxInterestsPerPeer: checkIntInRange(o.maxInterestsPerPeer ?? 4096, 'options.maxInterestsPerPeer', 1, MAX_INTERESTS_PER_PEER),
    // By brand, not identity: a built-in codec of the other copy of core (ESM/CommonJS) counts too.
    checkPayloads: isBuiltinCodec(codec),
  };
}
