/**
 * Version checks against a peer: turning a `NO_HANDLER` into a
 * `CONTRACT_MISMATCH` that says what to deploy, and `checkContract` for a
 * startup check. Both read the peer's `pipebus.describe` answer; nothing is
 * added to an ordinary call.
 */
import { BusError, type MessageBus, type RequestOptions } from '@pipebus/core';
import type { Contract, ContractShape } from './contract.js';
import { describeRemote } from './describe.js';
import type { BusDescription, ContractDescription, DescribeOptions } from './description.js';

/** What {@link checkContract} resolves: the version the peer implements, and whether its shape is this one's. */
export interface ContractCheck {
  /** The peer's version of the contract (`null` when unversioned). */
  readonly version: string | null;
  /** The peer's fingerprint of the contract. */
  readonly fingerprint: string;
  /**
   * True when the peer's fingerprint is this contract's: same members,
   * kinds, errors and schemas. False for a compatible minor (the peer has
   * more), or for the same version with another shape: a change made
   * without a version bump.
   */
  readonly exact: boolean;
}

/** A contract's identity in messages and details. */
interface Side {
  readonly version: string | null;
  readonly prefix: string;
  readonly fingerprint: string;
}

/** How long a call that failed NO_HANDLER waits for the peer's describe answer at most. */
const EXPLAIN_TIMEOUT_MS = 1000;

/**
 * A call to `key` failed `NO_HANDLER`: asks the same peer what it
 * implements, and gives `CONTRACT_MISMATCH` when it serves `c` under another
 * major, or under this major without `key` (an older minor). Otherwise, or
 * when the peer cannot say, the original error stands.
 */
export async function explainNoHandler(bus: Pick<MessageBus, 'request'>, c: Contract, key: string, error: BusError, options: RequestOptions | undefined): Promise<unknown> {
  // Bounded by its own short timeout (at most the call's: it already
  // answered, so what is left of it is about all of it) and the call's signal.
  const callTimeout = options?.timeout;
  const timeout = callTimeout !== undefined && callTimeout < EXPLAIN_TIMEOUT_MS ? Math.max(1, callTimeout) : EXPLAIN_TIMEOUT_MS;
  let description: BusDescription;
  try {
    description = await describeRemote(bus, { ...(options?.to !== undefined && { to: options.to }), ...(options?.signal !== undefined && { signal: options.signal }), timeout });
  } catch {
    return error;
  }
  const same = description.contracts.filter((d) => d.name === c.name);
  if (same.length === 0) return error;
  const local = sideOf(c);
  const sameMajor = same.find((d) => d.prefix === c.prefix);
  if (sameMajor === undefined) return otherMajor(c, local, same, key, error);
  if (sameMajor.members.some((m) => m.key === key)) return error;
  return new BusError(
    'CONTRACT_MISMATCH',
    `'${c.prefix}.${key}': the service implements ${label(sameMajor)} without '${key}'; this client was built against ${label(local, c.name)}: deploy a service of ${c.name} ${local.version ?? ''} or newer, or do not call '${key}' there`.replace('  ', ' '),
    { details: details(c, local, [sameMajor], [key]), cause: error },
  );
}

/**
 * Checks at startup that the peer implements `c`: resolves with its version
 * and fingerprint, `exact` when its shape is this one's. A peer of the same
 * major that has more (a later minor) is compatible. The same version with
 * another fingerprint resolves too, `exact: false`: the contract's shape
 * changed without a version bump.
 *
 * @throws BusError `CONTRACT_MISMATCH` when the peer does not implement `c`,
 *   implements it only under another major, or lacks some of its methods
 *   (events are not checked: the peer may not be their publisher);
 *   `NO_HANDLER` when it implements no contract; what `describeRemote`
 *   rejects with otherwise.
 */
export async function checkContract(bus: Pick<MessageBus, 'request'>, c: Contract, options: DescribeOptions = {}): Promise<ContractCheck> {
  const description = await describeRemote(bus, options);
  const local = sideOf(c);
  const same = description.contracts.filter((d) => d.name === c.name);
  if (same.length === 0) {
    const names = description.contracts.map((d) => label(d));
    const shown = names.length === 0 ? 'none' : names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
    throw new BusError('CONTRACT_MISMATCH', `the peer does not implement ${c.name} (it implements: ${shown}); connect to a service of ${label(local, c.name)}`, {
      details: details(c, local, [], []),
    });
  }
  const match = same.find((d) => d.prefix === c.prefix);
  if (match === undefined) throw otherMajor(c, local, same, undefined, undefined);
  const members = c.members as ContractShape;
  const missing = Object.keys(members).filter((key) => members[key]!.kind !== 'event' && !match.members.some((m) => m.key === key && m.kind === members[key]!.kind));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((k) => `'${k}'`).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    throw new BusError('CONTRACT_MISMATCH', `the peer implements ${label(match)} without ${shown}; this client was built against ${label(local, c.name)}: deploy a newer service, or use the contract it implements`, {
      details: details(c, local, [match], missing),
    });
  }
  return Object.freeze({ version: match.version, fingerprint: match.fingerprint, exact: match.fingerprint === local.fingerprint });
}

function otherMajor(c: Contract, local: Side, same: readonly ContractDescription[], key: string | undefined, cause: BusError | undefined): BusError {
  const latest = [...same].sort((a, b) => major(b) - major(a))[0]!;
  const where = key === undefined ? 'the peer' : `'${c.prefix}.${key}': the service`;
  const advice =
    local.version === null
      ? `give this contract the service's version (${latest.version ?? 'none'}) or deploy an unversioned service`
      : latest.version === null
        ? `deploy the ${major(local)}.x service or use the unversioned contract`
        : `deploy the ${major(local)}.x service or use the ${major(latest)}.x contract`;
  return new BusError('CONTRACT_MISMATCH', `${where} implements ${same.map((d) => label(d)).join(' and ')}; this client was built against ${label(local, c.name)}: ${advice}`, {
    details: details(c, local, same, key === undefined ? [] : [key]),
    ...(cause !== undefined && { cause }),
  });
}

function sideOf(c: Contract): Side {
  return { version: c.version ?? null, prefix: c.prefix, fingerprint: c.fingerprint };
}

/** `inventory 2.1.0 (inventory.v2.*)`, or `inventory without a version (inventory.*)`. */
function label(d: Side & { readonly name?: string }, name?: string): string {
  const n = d.name ?? name ?? '';
  const version = d.version === null ? `${n} without a version` : `${n} ${d.version}`;
  return `${version} (${d.prefix}.*)`.trimStart();
}

function major(d: Side): number {
  return d.version === null ? -1 : Number(d.version.slice(0, d.version.indexOf('.')));
}

function details(c: Contract, local: Side, remote: readonly ContractDescription[], methods: readonly string[]): Record<string, unknown> {
  return {
    contract: c.name,
    ...(methods.length > 0 && { methods }),
    local,
    remote: remote.map((d) => ({ version: d.version, prefix: d.prefix, fingerprint: d.fingerprint })),
  };
}
