/**
 * The options of {@link NatsTransport}, checked once at construction so that
 * a mistake fails where it was made, not at `start()`.
 */
import { checkKnownKeys, describeValue, invalidArgument } from '@pipebus/core/transport-kit';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { checkName, checkPrefix } from '../subjects/subjects.js';
import { DEFAULT_FRAGMENT_STORE_BYTES, DEFAULT_FRAGMENT_STORE_TTL, type FragmentStoreOptions } from '../transport/fragment-pull.js';
import { DEFAULT_RECONNECT_BUFFER_BYTES, DEFAULT_RECONNECT_BUFFER_FRAMES, type ReconnectBufferOptions } from '../transport/reconnect-buffer.js';

/** Options of a {@link NatsTransport}. Give `servers` (it connects) or `connection` (yours). */
export interface NatsTransportOptions {
  /** NATS server URL(s), such as `nats://127.0.0.1:4222`. */
  readonly servers?: string | readonly string[];
  /**
   * A connection the application already has (auth, TLS, tokens as it set
   * them). `close()` leaves it open: it is the application's.
   */
  readonly connection?: NatsConnection;
  /** Passed to nats.js `connect()` as they are, beside `servers` (auth, TLS, reconnect policy). */
  readonly connectOptions?: Omit<ConnectionOptions, 'servers'>;
  /** Subject prefix, dot-separated tokens. Default `pipebus`. */
  readonly prefix?: string;
  /** The start of this transport's peer id (`<name>-<nuid>`). Default `pb`. */
  readonly name?: string;
  /** Largest frame; at most the server's `max_payload`, which lowers it after connecting. Default 1 MiB. */
  readonly maxFrameSize?: number;
  /**
   * Bounds of what is kept while the link to the server is down (nats.js
   * itself drops it), sent in order after the reconnect; past them `send()`
   * rejects `BUSY`. Default 8 MiB and 10 000 frames.
   */
  readonly reconnectBuffer?: ReconnectBufferOptions;
  /**
   * After a reconnect, how long to wait at most for the peers known before
   * the outage to say they are back, before sending what was buffered (a
   * frame sent before its receiver re-subscribed would reach nobody). Sent
   * at once when all are back. Default 1000 ms.
   */
  readonly reconnectSettle?: number;
  /**
   * How often this transport says it is alive, in ms; a peer silent for 3
   * intervals is reported gone (the bus then fails the calls waiting on it).
   * 0 turns heartbeats off: then only a peer that closes is seen to leave.
   * Default 1000.
   */
  readonly heartbeatInterval?: number;
  /**
   * Backpressure: once this many bytes were published without the server
   * confirming it read them, `send()` resolves only after it does (a
   * ping/pong). nats.js alone buffers without bound. Default 4 MiB.
   */
  readonly maxUnconfirmedBytes?: number;
  /**
   * Peers known at most. Ids over NATS are self-declared, so another client
   * could invent any number of them: past this, frames from new ids are
   * dropped and counted (`stats().peersRefused`) until silent peers leave
   * (three missed heartbeats). Default 10 000.
   */
  readonly maxPeers?: number;
  /**
   * How long, in ms, frames from a peer the bus rejected (it sent bytes that
   * were not pipebus frames) are ignored. Time-bounded because the id may be
   * an honest peer's, borrowed. Default 60 000.
   */
  readonly banMs?: number;
  /**
   * How long `close()` waits at most for the server to confirm what was
   * sent (a drain of our own connection, a flush of the application's).
   * Default 2000 ms.
   */
  readonly closeTimeout?: number;
  /**
   * Whether a message above the server's `max_payload` may travel as
   * fragments (core's fragmenter; on shared subjects the receivers pull
   * fragments 1..n from the sender). Off, such a send fails with
   * `FRAME_TOO_LARGE` before anything is sent. Default true.
   */
  readonly fragmentation?: boolean;
  /**
   * Bounds of the store holding large messages' fragments for their
   * receivers to pull (shared subjects only): past `maxBytes` a new large
   * message fails `BUSY`; each goes after `ttlMs`. Default 64 MiB, 30 s.
   */
  readonly fragmentStore?: FragmentStoreOptions;
}

/** The options after checking, with their defaults. */
export interface ResolvedNatsOptions {
  readonly servers: readonly string[] | undefined;
  readonly connection: NatsConnection | undefined;
  readonly connectOptions: Omit<ConnectionOptions, 'servers'>;
  readonly prefix: string;
  readonly name: string;
  readonly maxFrameSize: number;
  readonly reconnectBufferBytes: number;
  readonly reconnectBufferFrames: number;
  readonly reconnectSettle: number;
  readonly heartbeatInterval: number;
  readonly maxUnconfirmedBytes: number;
  readonly maxPeers: number;
  readonly banMs: number;
  readonly closeTimeout: number;
  readonly fragmentation: boolean;
  readonly fragmentStoreBytes: number;
  readonly fragmentStoreTtl: number;
}

const KEYS: ReadonlySet<string> = new Set(['servers', 'connection', 'connectOptions', 'prefix', 'name', 'maxFrameSize', 'reconnectBuffer', 'reconnectSettle', 'heartbeatInterval', 'maxUnconfirmedBytes', 'maxPeers', 'banMs', 'closeTimeout', 'fragmentation', 'fragmentStore']);
const STORE_KEYS: ReadonlySet<string> = new Set(['maxBytes', 'ttlMs']);
const BUFFER_KEYS: ReadonlySet<string> = new Set(['maxBytes', 'maxFrames']);

/** NATS's own default `max_payload`: the most a frame can be before the server says. */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;

/** Checks `options`; throws `INVALID_ARGUMENT` naming the option and what to write instead. */
export function resolveNatsOptions(options: NatsTransportOptions): ResolvedNatsOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`NatsTransport takes an options object ({ servers: 'nats://host:4222' } or { connection }), got ${describeValue(options)}`);
  }
  checkKnownKeys('NatsTransport', options, KEYS);
  const { connection } = options;
  const servers = options.servers === undefined ? undefined : typeof options.servers === 'string' ? [options.servers] : options.servers;
  if ((servers === undefined) === (connection === undefined)) {
    throw invalidArgument("NatsTransport: give exactly one of 'servers' (URLs to connect to) and 'connection' (a NatsConnection you opened)", { option: 'servers' });
  }
  if (servers !== undefined) {
    if (!Array.isArray(servers) || servers.length === 0) throw invalidArgument(`NatsTransport: 'servers' must be a URL or a non-empty array of URLs, got ${describeValue(options.servers)}`, { option: 'servers' });
    servers.forEach(checkUrl);
  }
  if (connection !== undefined && (typeof connection !== 'object' || connection === null || typeof (connection as { publish?: unknown }).publish !== 'function')) {
    throw invalidArgument(`NatsTransport: 'connection' must be a NatsConnection (from connect() of @nats-io/transport-node), got ${describeValue(connection)}`, { option: 'connection' });
  }
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < 64) {
    throw invalidArgument(`NatsTransport: 'maxFrameSize' must be an integer of at least 64 bytes, got ${describeValue(options.maxFrameSize)}`, { option: 'maxFrameSize' });
  }
  const buffer = options.reconnectBuffer ?? {};
  checkKnownKeys('NatsTransport', buffer, BUFFER_KEYS, 'options.reconnectBuffer.');
  const store = options.fragmentStore ?? {};
  checkKnownKeys('NatsTransport', store, STORE_KEYS, 'options.fragmentStore.');
  if (options.connectOptions?.noEcho === false) {
    throw invalidArgument(
      "NatsTransport: 'connectOptions.noEcho' must stay true: without it NATS hands this bus its own requests and events, which it drops (a call to a method it handles too would hang); remove the option",
      { option: 'connectOptions' },
    );
  }
  if (options.fragmentation !== undefined && typeof options.fragmentation !== 'boolean') {
    throw invalidArgument(`NatsTransport: 'fragmentation' must be true or false, got ${describeValue(options.fragmentation)}`, { option: 'fragmentation' });
  }
  return {
    fragmentation: options.fragmentation ?? true,
    fragmentStoreBytes: count(store.maxBytes, DEFAULT_FRAGMENT_STORE_BYTES, 'fragmentStore.maxBytes'),
    fragmentStoreTtl: ms(store.ttlMs, DEFAULT_FRAGMENT_STORE_TTL, 'fragmentStore.ttlMs'),
    reconnectBufferBytes: count(buffer.maxBytes, DEFAULT_RECONNECT_BUFFER_BYTES, 'reconnectBuffer.maxBytes'),
    reconnectBufferFrames: count(buffer.maxFrames, DEFAULT_RECONNECT_BUFFER_FRAMES, 'reconnectBuffer.maxFrames'),
    reconnectSettle: ms(options.reconnectSettle, 1000, 'reconnectSettle'),
    heartbeatInterval: ms(options.heartbeatInterval, 1000, 'heartbeatInterval'),
    maxUnconfirmedBytes: count(options.maxUnconfirmedBytes, 4 * 1024 * 1024, 'maxUnconfirmedBytes'),
    maxPeers: atLeastOne(options.maxPeers, 10_000, 'maxPeers'),
    banMs: count(options.banMs, 60_000, 'banMs'),
    closeTimeout: ms(options.closeTimeout, 2000, 'closeTimeout'),
    servers,
    connection,
    connectOptions: options.connectOptions ?? {},
    prefix: checkPrefix(options.prefix ?? 'pipebus'),
    name: checkName(options.name ?? 'pb'),
    maxFrameSize,
  };
}

/** A non-negative integer option (0 turns a buffer off, or a wait). */
function count(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(`NatsTransport: '${option}' must be a non-negative integer, got ${describeValue(value)}`, { option });
  return value;
}

/** Most ms a timer takes: past 2^31 - 1, Node fires after 1 ms (a heartbeat meant as "never" would beat every millisecond). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration that becomes a timer: a non-negative integer of at most {@link MAX_TIMER_MS}. */
function ms(value: number | undefined, fallback: number, option: string): number {
  const checked = count(value, fallback, option);
  if (checked > MAX_TIMER_MS) {
    throw invalidArgument(`NatsTransport: '${option}' must be a non-negative integer of ms, at most ${MAX_TIMER_MS} (about 24 days: Node's timers fire at once past it), got ${describeValue(value)}`, { option });
  }
  return checked;
}

/** A bound that must let at least one through (a transport that may know no peer cannot work). */
function atLeastOne(value: number | undefined, fallback: number, option: string): number {
  const checked = count(value, fallback, option);
  if (checked < 1) throw invalidArgument(`NatsTransport: '${option}' must be an integer of at least 1, got ${describeValue(value)}`, { option });
  return checked;
}

/** A `nats://` address as a command line or a config file gives it, resolved: see {@link resolveNatsAddress}. */
export interface NatsAddress {
  /** The server URLs, in the order given (nats.js tries them all). */
  readonly servers: readonly string[];
}

/**
 * Resolves `nats://HOST:PORT` (or several, comma-separated:
 * `nats://a:4222,nats://b:4222`) into the `servers` option, with the
 * checks {@link NatsTransport} makes at construction. Pure: nothing is
 * opened, so a tool can tell a malformed address (the user's mistake) from
 * a server that does not answer (an operation that failed).
 *
 * @throws `INVALID_ARGUMENT` saying what to write instead.
 */
export function resolveNatsAddress(address: string): NatsAddress {
  if (typeof address !== 'string' || !/^nats:\/\//i.test(address)) {
    throw invalidArgument(`${JSON.stringify(address)} is not a NATS address; write nats://HOST:PORT, such as nats://127.0.0.1:4222 (several: nats://a:4222,nats://b:4222)`, { option: 'servers' });
  }
  const servers = address.split(',').map((url) => url.trim());
  for (const url of servers) {
    // Each URL of the list names its scheme: "nats://a:1,b:2" would be read as host b on nats's default port by nats.js, which is rarely meant.
    if (!/^nats:\/\//i.test(url)) throw invalidArgument(`${JSON.stringify(url)} in ${JSON.stringify(address)} is not a NATS URL; write each server as nats://HOST:PORT, comma-separated`, { option: 'servers' });
    checkUrl(url);
    // new URL() accepts a path, a query and credentials, which nats.js ignores or would send: refuse rather than surprise.
    const parsed = new URL(url);
    if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
      throw invalidArgument(`${JSON.stringify(url)} has a path or query, which a NATS server URL does not take; write nats://HOST:PORT`, { option: 'servers' });
    }
  }
  return { servers };
}

/**
 * Checks a subject prefix as {@link NatsTransport}'s `prefix` option does
 * (dot-separated tokens of letters, digits, `_` and `-`); returns it.
 *
 * @throws `INVALID_ARGUMENT` saying what a prefix may hold.
 */
export function checkNatsPrefix(prefix: string): string {
  return checkPrefix(prefix);
}

/** A server address nats.js will understand: `nats://`, `tls://`, `ws(s)://` or `host:port`. */
function checkUrl(url: unknown): void {
  if (typeof url !== 'string' || url.length === 0) throw invalidArgument(`NatsTransport: a server URL must be a non-empty string, got ${describeValue(url)}`, { option: 'servers' });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw invalidArgument(`NatsTransport: ${JSON.stringify(url)} is not a URL; write nats://HOST:PORT, such as nats://127.0.0.1:4222`, { option: 'servers' });
  }
  if (!['nats:', 'tls:'].includes(parsed.protocol) || parsed.hostname === '') {
    throw invalidArgument(`NatsTransport: ${JSON.stringify(url)} is not a NATS server URL; write nats://HOST:PORT (or tls://HOST:PORT)`, { option: 'servers' });
  }
}
