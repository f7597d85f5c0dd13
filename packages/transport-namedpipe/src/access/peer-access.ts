import { BusError } from '@pipebus/core';
import { describeValue, invalidArgument } from '@pipebus/core/transport-kit';

/**
 * Which users may be on the other end of a link, as the `allow` option of
 * both the server and the client takes it.
 *
 * - `'same-user'` (the default): only the user this process runs as.
 * - `'any-user'`: any local user (remote clients stay refused on Windows).
 * - `{ uids, sids }`: this user, plus the POSIX uids and Windows SIDs listed.
 *
 * No user is trusted implicitly: a server run by root (uid 0) or by
 * `SYSTEM` is refused by a client that did not list it.
 */
export type AllowPeers = 'same-user' | 'any-user' | { readonly uids?: readonly number[]; readonly sids?: readonly string[] };

/** Who a process runs as, as far as the OS tells: a POSIX uid or a Windows user SID. */
export interface UserIdentity {
  readonly uid?: number;
  readonly sid?: string;
}

/** A validated {@link AllowPeers}. */
export interface AccessPolicy {
  readonly anyUser: boolean;
  /** Users allowed besides this one. */
  readonly uids: ReadonlySet<number>;
  /** Upper-case string SIDs allowed besides this user. */
  readonly sids: ReadonlySet<string>;
}

const SID = /^S-1-\d+(-\d+)+$/i;
const MAX_UID = 0xffff_ffff;

/** The policy for `allow` (and, on the server, its older alias `allowOtherUsers`); INVALID_ARGUMENT if they are malformed or contradict. */
export function accessPolicy(what: string, allow: unknown, allowOtherUsers?: unknown): AccessPolicy {
  if (allowOtherUsers !== undefined && typeof allowOtherUsers !== 'boolean') {
    throw invalidArgument(`${what}: 'allowOtherUsers' must be true or false, got ${describeValue(allowOtherUsers)}`);
  }
  const policy = parseAllow(what, allow ?? (allowOtherUsers === true ? 'any-user' : 'same-user'));
  if (allow !== undefined && allowOtherUsers !== undefined && allowOtherUsers !== policy.anyUser) {
    throw invalidArgument(
      `${what}: 'allowOtherUsers: ${allowOtherUsers}' contradicts 'allow: ${describeValue(allow)}'; give only 'allow' ('allowOtherUsers: true' is the old spelling of allow: 'any-user')`,
    );
  }
  return policy;
}

function parseAllow(what: string, allow: unknown): AccessPolicy {
  const none = { uids: new Set<number>(), sids: new Set<string>() };
  if (allow === 'same-user') return { anyUser: false, ...none };
  if (allow === 'any-user') return { anyUser: true, ...none };
  const shape = `'allow' must be 'same-user', 'any-user' or { uids?: number[], sids?: string[] }`;
  if (allow === null || typeof allow !== 'object' || Array.isArray(allow)) throw invalidArgument(`${what}: ${shape}, got ${describeValue(allow)}`);
  const { uids, sids, ...rest } = allow as { uids?: unknown; sids?: unknown };
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalidArgument(`${what}: ${shape}; '${unknown.join("', '")}' is not one of its keys`);
  if (uids !== undefined && (!Array.isArray(uids) || !uids.every((u) => Number.isInteger(u) && u >= 0 && u <= MAX_UID))) {
    throw invalidArgument(`${what}: 'allow.uids' must be an array of whole numbers from 0 to ${MAX_UID}, got ${describeValue(uids)}`);
  }
  if (sids !== undefined && (!Array.isArray(sids) || !sids.every((s) => typeof s === 'string' && SID.test(s)))) {
    throw invalidArgument(`${what}: 'allow.sids' must be an array of string SIDs such as 'S-1-5-21-1004336348-1177238915-682003330-512', got ${describeValue(sids)}`);
  }
  return {
    anyUser: false,
    uids: new Set((uids as number[] | undefined) ?? []),
    sids: new Set(((sids as string[] | undefined) ?? []).map((s) => s.toUpperCase())),
  };
}

/** True when the policy lets anyone but this user in (the socket file or DACL must then admit others). */
export function widens(policy: AccessPolicy): boolean {
  return policy.anyUser || policy.uids.size > 0 || policy.sids.size > 0;
}

/**
 * Whether `peer` may be on the other end, for a process running as `self`.
 * A pure function of its arguments, so a test can feed it any uid or SID.
 * Returns undefined when allowed, else why not (for the error message).
 * A peer whose user the OS did not tell is refused unless `any-user`: a
 * check that cannot be made is not passed.
 */
export function refusal(policy: AccessPolicy, self: UserIdentity, peer: UserIdentity): string | undefined {
  if (policy.anyUser) return undefined;
  if (peer.uid !== undefined && self.uid !== undefined) {
    if (peer.uid === self.uid || policy.uids.has(peer.uid)) return undefined;
    return `it runs as uid ${peer.uid}, not as this user (uid ${self.uid})`;
  }
  if (peer.sid !== undefined && self.sid !== undefined) {
    const sid = peer.sid.toUpperCase();
    if (sid === self.sid.toUpperCase() || policy.sids.has(sid)) return undefined;
    return `it runs as ${peer.sid}, not as this user (${self.sid})`;
  }
  return 'the OS did not say which user it runs as, so it cannot be shown to be this user';
}

/** The ACCESS_DENIED a client meets when its server fails {@link refusal}. */
export function serverRefused(path: string, why: string, peer: UserIdentity): BusError {
  const widen = peer.uid !== undefined ? `{ allow: { uids: [${peer.uid}] } }` : peer.sid !== undefined ? `{ allow: { sids: ['${peer.sid}'] } }` : `{ allow: 'any-user' }`;
  return new BusError(
    'ACCESS_DENIED',
    `refused the server at '${path}': ${why}. Another user may have taken the address; if this server is meant to be trusted, create the client with ${widen} (or { allow: 'any-user' })`,
    { details: { path, ...peer } },
  );
}
