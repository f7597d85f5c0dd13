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
 * A later format raises `v` (an integer above 1); a server that does not
 * know it treats the peer as interested in everything, which is always
 * correct, only slower. Anything else in `v` is a malformed announcement.
 */

/** Name of the `Hello` envelope that carries an interest announcement. */
export const INTEREST_HELLO = 'pipebus.interest';

/** The announcement format this bus writes and reads. */
export const INTEREST_VERSION = 1;

/**
 * Tokens one client's patterns may have in all, per pattern of its server's
 * `maxInterestsPerPeer`: each token is a trie node of ~0.5 KB. Without it
 * 4096 patterns of 510 `*` tokens took about 1 GB of the server's heap per
 * client; with it the worst is ~19 MB per client at the default.
 */
export const TOKENS_PER_INTEREST = 8;

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
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return `interest announcement is ${describe(payload)}; expected an object { v: ${INTEREST_VERSION}, op, p }`;
  const { v, op, p } = payload as Partial<Record<'v' | 'op' | 'p', unknown>>;
  if (v !== INTEREST_VERSION) {
    // Only a later version is excused: a missing or nonsense one is not a format anyone writes.
    if (Number.isSafeInteger(v) && (v as number) > INTEREST_VERSION) return { op: 'unknown-version', version: v };
    return `interest announcement has version (v) ${describe(v)}; expected ${INTEREST_VERSION}, or a later integer`;
  }
  if (op !== 'set' && op !== 'add' && op !== 'del') return `interest announcement has op ${describe(op)}; expected 'set', 'add' or 'del'`;
  if (!Array.isArray(p)) return `interest announcement has ${describe(p)} for its pattern list (p); expected an array of patterns`;
  return { op, patterns: p };
}

/** A peer's value, quoted short enough for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** Tokens of a valid pattern: one more than its dots. */
export function tokenCount(pattern: string): number {
  let dots = 0;
  for (let i = pattern.indexOf('.'); i !== -1; i = pattern.indexOf('.', i + 1)) dots++;
  return dots + 1;
}
