import type { Clock, Logger } from '@pipebus/core';
import { checkKnownKeys, invalidArgument } from '@pipebus/core/transport-kit';
import { optionalBoolean, optionalChoice, optionalInteger, optionalLogger, requireObject } from '@pipebus/os';
import { resolveMailslotAddress, type ResolvedMailslotAddress } from '../address/resolve-address.js';
import { DEFAULT_MAX_LISTENERS } from '../registry/group-registry.js';

/** Options of a {@link MailslotTransport}. */
export interface MailslotOptions {
  /**
   * `mailslot://group` (local pub/sub group: own slot + registry fan-out),
   * `\\.\mailslot\name` or `/path/x.sock` (one raw OS slot),
   * `\\*\mailslot\name` / `\\domain\mailslot\name` (Windows domain broadcast, write only).
   */
  address: string;
  /**
   * Default `'both'` for a group. For a single OS slot, `'read'` creates it
   * (the server) and `'write'` opens it (a client); one of them is required.
   * Domain broadcast is `'write'` only.
   */
  mode?: 'read' | 'write' | 'both';
  /** Plain bytes, no pipebus framing, for native programs: the transport never adds bytes of its own. */
  raw?: boolean;
  /**
   * Pack the small frames sent in one turn of the event loop into one datagram, up to `frameSize`
   * (a reader unpacks them). Default true, except with `raw` and for a domain broadcast, which
   * never batch (true there is refused). Readers of transport-mailslot 0.1.0 cannot unpack a batch
   * and drop it (their bus logs `DECODE_FAILED`): set false while a group still has such readers.
   * Readers always unpack batches, whatever this says (raw readers never do).
   */
  batch?: boolean;
  /** Local frame size in bytes, default 65536 (POSIX at most 200000). A domain broadcast is always 424. */
  frameSize?: number;
  /** POSIX override of the private runtime directory (also holds group registries on Windows). */
  runtimeDir?: string;
  /** Upper bound of one blocking read wait, default 200 ms: how long close() may take at worst. */
  readTimeoutMs?: number;
  /**
   * How long a send waits for a reader whose queue is full (POSIX) before it
   * rejects with `BUSY`, default 5000 ms. It does not bound Windows sends:
   * those are one `WriteFile` on the libuv pool each, which Windows completes
   * by queueing the message (Wine blocks it while the reader's buffer is full).
   */
  sendTimeoutMs?: number;
  /**
   * Group listeners one listing of the registry reads, default 4096 (1 to 65536). A group with
   * more reaches only the first this many found (a warning is logged once): it bounds the work
   * and memory of a listing whatever another process puts in the directory.
   */
  maxListeners?: number;
  /**
   * Let other local users write to this transport's slot. Default false: the slot's socket file is
   * mode 0600 and, on Linux, every datagram whose sender the kernel names as another uid
   * (SCM_CREDENTIALS) is dropped and counted (`stats().foreignDropped`); on Windows the slot's DACL
   * grants only this user. With true: socket mode 0666 / write access for authenticated users, and
   * no uid filter. Group registries stay private to one user either way. Same meaning as the
   * named-pipe server's option.
   */
  allowOtherUsers?: boolean;
  /** Where dropped frames, ignored registry markers and reader failures are reported. */
  logger?: Logger;
  /**
   * The time source of the transport's waits: the `sendTimeoutMs` deadline and
   * its retry timers, the reader loop's pause after a failed wait, the age of a
   * group listing and of a cached Windows handle. Default `systemClock`; tests
   * pass a virtual clock (`VirtualClock` from `@pipebus/transport-mock`). The
   * kernel's own waits (a poll(2) slice on a pool thread) stay in real time.
   */
  clock?: Clock;
}

/** How long a send waits for a full reader by default (see {@link MailslotOptions.sendTimeoutMs}). */
export const DEFAULT_SEND_TIMEOUT_MS = 5000;
/** Frame size of a Windows domain broadcast datagram. */
export const DOMAIN_FRAME_SIZE = 424;
const MIN_FRAME = 32;
/** A unix datagram must fit the sender's socket buffer (net.core.wmem_default is 212992). */
const MAX_FRAME_POSIX = 200_000;
const MAX_FRAME_WIN32 = 4 * 1024 * 1024;
const WHAT = 'MailslotTransport';
/** Every key of {@link MailslotOptions}: a misspelt one fails, naming the closest. */
const OPTION_KEYS: ReadonlySet<keyof MailslotOptions> = new Set<keyof MailslotOptions>([
  'address', 'mode', 'raw', 'batch', 'frameSize', 'runtimeDir', 'readTimeoutMs', 'sendTimeoutMs', 'maxListeners', 'allowOtherUsers', 'logger', 'clock',
]);

/** Options after validation and defaults. */
export interface ResolvedMailslotOptions {
  readonly resolved: ResolvedMailslotAddress;
  readonly mode: 'read' | 'write' | 'both';
  readonly raw: boolean;
  readonly batch: boolean;
  readonly frameSize: number;
  readonly readTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly maxListeners: number;
  readonly allowOtherUsers: boolean;
  readonly runtimeDir: string | undefined;
  readonly logger: Logger | undefined;
}

/** Validates every option (with the validators shared through `@pipebus/os`), throwing INVALID_ARGUMENT with what to change. */
export function resolveMailslotOptions(o: MailslotOptions): ResolvedMailslotOptions {
  requireObject(WHAT, o, "{ address: 'mailslot://orders' }");
  checkKnownKeys(WHAT, o, OPTION_KEYS);
  const resolved = resolveMailslotAddress(o.address, { ...(o.runtimeDir !== undefined && { runtimeDir: o.runtimeDir }) });
  let mode = optionalChoice(WHAT, 'mode', o.mode, ['read', 'write', 'both'] as const);
  if (resolved.kind === 'group') mode ??= 'both';
  else if (resolved.kind === 'domain') {
    if (mode !== undefined && mode !== 'write') throw invalidArgument(`'${o.address}' is a domain broadcast, which can only be written: use mode 'write'`);
    mode = 'write';
  } else if (mode === undefined || mode === 'both') {
    throw invalidArgument(`'${o.address}' is one OS slot: say mode 'read' to create it (the one reader) or 'write' to write to it`);
  }
  const raw = optionalBoolean(WHAT, 'raw', o.raw, false);
  const batch = optionalBoolean(WHAT, 'batch', o.batch, !raw && resolved.kind !== 'domain');
  if (batch && raw) throw invalidArgument(`batch: true adds a header of pipebus's own, which raw: true rules out; drop one of them`);
  if (batch && resolved.kind === 'domain') throw invalidArgument(`'${o.address}' is a domain broadcast, whose 424-byte datagrams are never batched: drop batch: true`);
  // The largest frame depends on the platform, so the rule names it.
  let frameSize = optionalInteger(`${WHAT} on ${resolved.platform}`, 'frameSize', o.frameSize, 65536, MIN_FRAME, resolved.platform === 'win32' ? MAX_FRAME_WIN32 : MAX_FRAME_POSIX);
  if (resolved.kind === 'domain') frameSize = DOMAIN_FRAME_SIZE;
  const readTimeoutMs = optionalInteger(WHAT, 'readTimeoutMs', o.readTimeoutMs, 200, 1, 60_000);
  const sendTimeoutMs = optionalInteger(WHAT, 'sendTimeoutMs', o.sendTimeoutMs, DEFAULT_SEND_TIMEOUT_MS, 1, 600_000);
  const maxListeners = optionalInteger(WHAT, 'maxListeners', o.maxListeners, DEFAULT_MAX_LISTENERS, 1, 65_536);
  const allowOtherUsers = optionalBoolean(WHAT, 'allowOtherUsers', o.allowOtherUsers, false);
  const logger = optionalLogger(WHAT, o.logger, undefined);
  return { resolved, mode, raw, batch, frameSize, readTimeoutMs, sendTimeoutMs, maxListeners, allowOtherUsers, runtimeDir: o.runtimeDir, logger };
}
