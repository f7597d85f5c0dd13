/**
 * Introspection: what contracts a bus implements, locally (`describe`) and
 * on a peer (`describeRemote`, the `pipebus.describe` method that
 * `implement` registers). Core stays contract-agnostic: the registry lives
 * here, keyed by bus, and is shared by this package's ESM and CommonJS
 * builds through `globalThis`.
 */
import { BusError, type MessageBus } from '@pipebus/core';
import { checkKnownKeys } from '@pipebus/core/transport-kit';
import type { Contract } from './contract.js';
import { checkDescription } from './describe-check.js';
import type { BusDescription, ContractDescription, DescribeOptions, MemberDescription } from './description.js';
import { memberShapes } from './fingerprint.js';

/** The bus method every bus with an implemented contract answers. */
export const DESCRIBE_METHOD = 'pipebus.describe';

const DESCRIBE_OPTION_KEYS: ReadonlySet<string> = new Set(['to', 'timeout', 'signal']);

interface Registration {
  readonly contract: Contract;
}
interface BusEntry {
  readonly registrations: Registration[];
  readonly stop: () => void;
}

// One registry per process, whichever build (ESM or CommonJS) of this
// package implements a contract: both must answer one pipebus.describe.
const REGISTRY_KEY = Symbol.for('pipebus.contract.registry');

function registry(): WeakMap<object, BusEntry> {
  const holder = globalThis as { [REGISTRY_KEY]?: WeakMap<object, BusEntry> };
  return (holder[REGISTRY_KEY] ??= new WeakMap<object, BusEntry>());
}

/**
 * Lists `c` among the contracts `bus` implements, registering
 * `pipebus.describe` on the bus with its first contract. The returned
 * function unlists it, and the last one removes the handler.
 */
export function register(bus: Pick<MessageBus, 'handle'>, c: Contract): () => void {
  const map = registry();
  let entry = map.get(bus);
  if (entry === undefined) {
    const registrations: Registration[] = [];
    let stop: () => void;
    try {
      stop = bus.handle(DESCRIBE_METHOD, () => describeAll(registrations));
    } catch (error) {
      if (BusError.is(error, 'INVALID_ARGUMENT')) {
        throw new BusError('INVALID_ARGUMENT', `implement('${c.name}'): '${DESCRIBE_METHOD}' already has a handler on this bus; it is @pipebus/contract's own: remove the other handler`, { cause: error });
      }
      throw error;
    }
    entry = { registrations, stop };
    map.set(bus, entry);
  }
  const mine: Registration = { contract: c };
  const current = entry;
  current.registrations.push(mine);
  return () => {
    const i = current.registrations.indexOf(mine);
    if (i < 0) return;
    current.registrations.splice(i, 1);
    if (current.registrations.length === 0) {
      current.stop();
      if (map.get(bus) === current) map.delete(bus);
    }
  };
}

/**
 * The contracts implemented on `bus` (by `implement`), as `pipebus.describe`
 * answers them to peers. The issue sketched `bus.describe()`; this is a
 * function of the contract package instead, so that core knows nothing of
 * contracts.
 */
export function describe(bus: Pick<MessageBus, 'handle'>): BusDescription {
  return describeAll(registry().get(bus)?.registrations ?? []);
}

function describeAll(registrations: readonly Registration[]): BusDescription {
  return { format: 1, contracts: registrations.map((r) => describeContract(r.contract)) };
}

const descriptions = new WeakMap<Contract, ContractDescription>();

/** One contract's description (cached: a contract is frozen). */
export function describeContract(c: Contract): ContractDescription {
  let cached = descriptions.get(c);
  if (cached === undefined) {
    const members = memberShapes(c.members).map(({ key, kind, ...schemas }): MemberDescription => Object.freeze({ key, kind, wire: `${c.prefix}.${key}`, ...schemas }));
    cached = Object.freeze({ name: c.name, version: c.version ?? null, fingerprint: c.fingerprint, prefix: c.prefix, members: Object.freeze(members) });
    descriptions.set(c, cached);
  }
  return cached;
}

/**
 * Asks a peer which contracts its bus implements (requests
 * `pipebus.describe`). The answer is checked before it is returned: a
 * malformed one rejects `DECODE_FAILED` saying what was wrong.
 *
 * Rejects `NO_HANDLER` when the peer implements no contract (or uses a
 * `@pipebus/contract` older than this release), and as `bus.request` does
 * otherwise (`TIMEOUT`, `TRANSPORT_CLOSED`…).
 */
export async function describeRemote(bus: Pick<MessageBus, 'request'>, options: DescribeOptions = {}): Promise<BusDescription> {
  checkKnownKeys('describeRemote()', options, DESCRIBE_OPTION_KEYS);
  const { to, timeout, signal } = options;
  let answer: unknown;
  try {
    answer = await bus.request(DESCRIBE_METHOD, undefined, { ...(to !== undefined && { to }), ...(timeout !== undefined && { timeout }), ...(signal !== undefined && { signal }) });
  } catch (error) {
    if (!BusError.is(error, 'NO_HANDLER')) throw error;
    throw new BusError('NO_HANDLER', `the peer implements no contract (or uses a @pipebus/contract older than this release): it has no handler for '${DESCRIBE_METHOD}'`, { cause: error });
  }
  return checkDescription(answer);
}
