import { brandedInstanceOf, setBrand } from '../brand/brand.js';

/**
 * Stable error codes. Scripts and callers switch on these, so a code, once
 * published, keeps its meaning; new conditions get new codes.
 */
export const BusErrorCodes = [
  'TIMEOUT',
  'NO_HANDLER',
  'REMOTE_ERROR',
  'TRANSPORT_CLOSED',
  'FRAME_TOO_LARGE',
  'DECODE_FAILED',
  'UNSUPPORTED_VERSION',
  'INVALID_ARGUMENT',
  'CANCELLED',
  'NOT_SUPPORTED',
  'NOT_FOUND',
  'ACCESS_DENIED',
  'ADDRESS_IN_USE',
  'BUSY',
  'OS_ERROR',
  'INTERNAL',
  // Added with @pipebus/contract's versions: a call reached a service that
  // implements another version of its contract (another major, or an older
  // minor without the method). Kept last: codes are only ever appended.
  'CONTRACT_MISMATCH',
] as const;

/** One of the stable pipebus error codes. */
export type BusErrorCode = (typeof BusErrorCodes)[number];

/** Options of a {@link BusError} beyond its code and message. */
export interface BusErrorOptions {
  /** The error that caused this one, kept for diagnosis. */
  cause?: unknown;
  /** Numeric OS error (`errno` on POSIX, `GetLastError()` on Windows). */
  osCode?: number;
  /** Symbolic OS error name (`EACCES`, `ERROR_PIPE_BUSY`). */
  osName?: string;
  /**
   * For `REMOTE_ERROR`: the code the remote side reported: the `code` of the
   * `BusError` (or any error with a string `code`) its handler threw, else
   * `HANDLER_ERROR`.
   */
  remoteCode?: string;
  /** Extra structured facts (method, peer, sizes) for logs and tests. */
  details?: Readonly<Record<string, unknown>>;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(BusErrorCodes);

const BUS_ERROR_BRAND = Symbol.for('pipebus.BusError');

/**
 * The one error class pipebus throws. Switch on {@link BusError.code}, never on
 * the message: messages are written for people and may be reworded.
 *
 * @example
 * ```ts
 * try { await bus.request('orders.get', { id }) }
 * catch (e) { if (BusError.is(e, 'TIMEOUT')) retryLater() }
 * ```
 */
export class BusError extends Error {
  /** Stable machine-readable code. */
  readonly code: BusErrorCode;
  // The optional facts below are `declare`d so that an error without them has
  // no such keys at all (cleaner logs and test output than `osCode: undefined`).
  /** Numeric OS error, where an OS call failed. */
  declare readonly osCode?: number;
  /** Symbolic OS error name, where an OS call failed. */
  declare readonly osName?: string;
  /**
   * For `REMOTE_ERROR`: the code reported by the remote handler: the `code` of
   * the error it threw or rejected with, or `HANDLER_ERROR` when that error
   * had no string `code` (a plain `Error`, a string).
   */
  declare readonly remoteCode?: string;
  /** Structured facts about the failure. */
  declare readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: BusErrorCode, message: string, options: BusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BusError';
    this.code = code;
    if (options.osCode !== undefined) this.osCode = options.osCode;
    if (options.osName !== undefined) this.osName = options.osName;
    if (options.remoteCode !== undefined) this.remoteCode = options.remoteCode;
    if (options.details !== undefined) this.details = options.details;
  }

  /**
   * `e instanceof BusError` (and {@link BusError.is}) is true for an error of
   * any copy of this package (ESM or CommonJS build), by a `Symbol.for` brand:
   * a transport loaded through `require` rejects with its copy's class.
   * Subclasses keep the plain prototype test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceOf(this, BusError, BUS_ERROR_BRAND, value);
  }

  /** True when `error` is a {@link BusError} (of any copy), optionally with the given code. */
  static is(error: unknown, code?: BusErrorCode): error is BusError {
    return error instanceof BusError && (code === undefined || error.code === code);
  }

  /** True when `code` is one of the published {@link BusErrorCode}s. */
  static isCode(code: unknown): code is BusErrorCode {
    return typeof code === 'string' && KNOWN_CODES.has(code);
  }

  /** A plain object for logs and for the wire. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.osCode !== undefined && { osCode: this.osCode }),
      ...(this.osName !== undefined && { osName: this.osName }),
      ...(this.remoteCode !== undefined && { remoteCode: this.remoteCode }),
      ...(this.details !== undefined && { details: this.details }),
    };
  }
}

setBrand(BusError.prototype, BUS_ERROR_BRAND);

/** Shorthand for `new BusError('INVALID_ARGUMENT', message)`. */
export function invalidArgument(message: string, details?: Record<string, unknown>): BusError {
  return new BusError('INVALID_ARGUMENT', message, details === undefined ? {} : { details });
}
