import type { BusErrorCode } from '@pipebus/core';

/**
 * What to tell a user next, per {@link BusErrorCode}. Each transport passes
 * its own table: the same `NOT_FOUND` means "start the server" for a pipe and
 * "start the reader" for a slot, and only the transport knows its words.
 */
export type OsAdvice = Readonly<Partial<Record<BusErrorCode, string>>>;

/** How one failed OS call is reported, beyond what was being done. */
export interface OsErrorOptions {
  /**
   * Advice by code (the transport's table), or one sentence for this call,
   * which wins over any table because the caller knows more than the code.
   */
  readonly advice?: OsAdvice | string;
  /** The code to report whatever the OS code maps to (a caller that knows better, e.g. `BUSY` after a timed-out wait). */
  readonly code?: BusErrorCode;
  /** Structured facts (the call, its target) kept on the error for logs and tests. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The original error, kept as the BusError's cause. */
  readonly cause?: unknown;
}

/**
 * The one message format of every OS failure in pipebus:
 * `cannot <what>: <osName> (<osCode>); <advice>`. Callers switch on the code,
 * never on this text; people read it, so it says what to do next.
 */
export function osMessage(what: string, osName: string, osCode: number | undefined, code: BusErrorCode, advice: OsAdvice | string | undefined): string {
  const next = typeof advice === 'string' ? advice : advice?.[code];
  return `cannot ${what}: ${osName}${osCode === undefined ? '' : ` (${osCode})`}${next ? `; ${next}` : ''}`;
}
