/**
 * The interest announcement: how a client tells its server (or relay hub)
 * which patterns it subscribes to. It travels as a `Hello` envelope named
 * {@link INTEREST_HELLO}, because every pipebus peer, old ones included,
 * accepts a `Hello` and ignores it: a new client costs an older server
 * nothing, and an older client (which never announces) is treated as
 * interested in everything, as before.
 *
 * Payload `{ v: 1, op, p }`: `op` is `set` (the whole list, sent on every
 * connect and reconnect), `add` or `del` (one change each), `p` the patterns.
 * A later format raises `v`; a server that does not know it treats the peer
 * as interested in everything, which is always correct, only slower.
 */

/** Name of the `Hello` envelope that carries an interest announcement. */
export const INTEREST_HELLO = 'pipebus.interest';

/** The announcement format this bus writes and reads. */
export const INTEREST_VERSION = 1;

/** What an announcement does to the sender's patterns. */
export type InterestOp = 'set' | 'add' | 'del';

/** An announcement's payload as it travels. */
export interface InterestPayload {
  readonly v: number;
  readonly op: InterestOp;
  readonly p: readonly string[];
}

/** An announcement read from a peer: its change, or that its format is one this bus does not know. */
export type ParsedInterest = { readonly op: InterestOp; readonly patterns: readonly unknown[] } | { readonly op: 'unknown-version'; readonly version: unknown };

/**
 * Reads a peer's announcement payload; a string saying what is wrong with
 * it for a malformed one. Patterns are checked by the caller, against its bounds.
 */
export function parseInterest(payload: unknown): ParsedInterest | string {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return 'interest announcement is not an object';
  const { v, op, p } = payload as Partial<Record<'v' | 'op' | 'p', unknown>>;
  if (v !== INTEREST_VERSION) return { op: 'unknown-version', version: v };
  if (op !== 'set' && op !== 'add' && op !== 'del') return `interest announcement has op ${JSON.stringify(String(op)).slice(0, 40)}; expected 'set', 'add' or 'del'`;
  if (!Array.isArray(p)) return 'interest announcement has no pattern list (p)';
  return { op, patterns: p };
}
