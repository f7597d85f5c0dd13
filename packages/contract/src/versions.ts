/**
 * Version checks against a peer: turning a `NO_HANDLER` into a
 * `CONTRACT_MISMATCH` that says what to deploy, and `checkContract` for a
 * startup check. Both read the peer's `pipebus.describe` answer; nothing is
 * added to an ordinary call.
 */
import { BusError, type Clock, type MessageBus, type PeerId, type RequestOptions } from '@pipebus/core';
import { checkKnownKeys } from '@pipebus/core/transport-kit';
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
   * True when the peer's fingerprint is this contract's (see
   * `Contract.fingerprint` for what it hashes). False for a compatible minor
   * (the peer has more), a change made without a version bump, or the same
   * schemas converted to JSON Schema by another release or another library.
   * True does not prove equal typed-only slots, nor equal schemas of a
   * library without JSON Schema: they hash as their presence and vendor only.
   */
  readonly exact: boolean;
}

const CHECK_OPTION_KEYS: ReadonlySet<string> = new Set(['to', 'timeout', 'signal']);

/** A contract's identity in messages and details. */
interface Side {
  readonly version: string | null;
  readonly prefix: string;
  readonly fingerprint: string;
}

/** How long a call that failed NO_HANDLER waits for the peer's describe answer at most. */
const EXPLAIN_TIMEOUT_MS = 1000;
/** Below this much of the call's timeout left, the lookup is skipped: it could not come back in time. */
const EXPLAIN_MIN_MS = 10;

/** Where and when a call that failed `NO_HANDLER` was made. */
export interface CallTiming {
  /** The bus's clock, to measure what is left of the call's timeout and to time the lookup out. */
  readonly clock: Clock;
  /** `clock.now()` when the call was sent; read only when the call has its own timeout (a clock read costs ~50 ns). */
  readonly startedAt: number | undefined;
}

// Describe requests in flight, per bus, by peer and contract: concurrent
// failing calls share one. Nothing is kept once it settles (the peer may be
// redeployed at any time).
const inFlight = new WeakMap<object, Map<string, Promise<BusDescription>>>();

/**
 * A call to `key` failed `NO_HANDLER`: asks the same peer what it
 * implements of `c` (`{ contract, schemas: false }`: a small answer), and
 * gives `CONTRACT_MISMATCH` when it serves `c` under another major, or
 * under this major without `key` (an older minor). Otherwise, or when the
 * peer cannot say in time, the original error stands. The lookup waits
 * what is left of the call's own timeout, at most 1 s (1 s when the call
 * has none: the bus's default is not known here), and not at all below
 * 10 ms; the call's signal ends it too.
 */
export async function explainNoHandler(bus: Pick<MessageBus, 'request'>, c: Contract, key: string, error: BusError, options: RequestOptions | undefined, timing: CallTiming): Promise<unknown> {
  const { clock, startedAt } = timing;
  const left = options?.timeout !== undefined && startedAt !== undefined ? options.timeout - (clock.now() - startedAt) : EXPLAIN_TIMEOUT_MS;
  const budget = Math.min(EXPLAIN_TIMEOUT_MS, left);
  const signal = options?.signal;
  if (budget < EXPLAIN_MIN_MS || signal?.aborted === true) return error;
  const description = await within(shared(bus, c.name, options?.to), budget, clock, signal);
  if (description === undefined) return error;
  const same = description.contracts.filter((d) => d.name === c.name);
  if (same.length === 0) return error;
  // The client's own fingerprint (a JSON Schema conversion of every member the first time) only once a mismatch is found.
  const sameMajor = same.find((d) => d.prefix === c.prefix);
  if (sameMajor === undefined) return otherMajor(c, sideOf(c), same, key, error);
  if (sameMajor.members.some((m) => m.key === key)) return error;
  const local = sideOf(c);
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
export async function checkContract(bus: Pick<MessageBus, 'request'>, c: Contract, options: Pick<DescribeOptions, 'to' | 'timeout' | 'signal'> = {}): Promise<ContractCheck> {
  checkKnownKeys(`checkContract('${c.name}')`, options, CHECK_OPTION_KEYS);
  const description = await describeRemote(bus, { ...options, contract: c.name, schemas: false });
  const local = sideOf(c);
  const same = description.contracts.filter((d) => d.name === c.name);
  if (same.length === 0) {
    // Asked about this contract only: the answer does not list the others.
    throw new BusError('CONTRACT_MISMATCH', `the peer does not implement ${c.name}; connect to a service of ${label(local, c.name)}`, {
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

/** The describe request in flight for (bus, peer, contract), or a new one. */
function shared(bus: Pick<MessageBus, 'request'>, name: string, to: PeerId | undefined): Promise<BusDescription> {
  let requests = inFlight.get(bus);
  if (requests === undefined) inFlight.set(bus, (requests = new Map()));
  const id = `${to ?? ''}\n${name}`;
  let request = requests.get(id);
  if (request === undefined) {
    const map = requests;
    // No signal: it is shared; each caller stops waiting on its own (within()).
    request = describeRemote(bus, { contract: name, schemas: false, timeout: EXPLAIN_TIMEOUT_MS, ...(to !== undefined && { to }) });
    map.set(id, request);
    const forget = (): void => void map.delete(id);
    request.then(forget, forget);
  }
  return request;
}

/** What `request` resolves within `ms` and before `signal` aborts; undefined otherwise, or when it rejects. */
function within<T>(request: Promise<T>, ms: number, clock: Clock, signal: AbortSignal | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    const done = (value: T | undefined): void => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      resolve(value);
    };
    const aborted = (): void => done(undefined);
    const timer = clock.setTimeout(aborted, ms);
    signal?.addEventListener('abort', aborted, { once: true });
    request.then(done, aborted);
  });
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
