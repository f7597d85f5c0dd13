/**
 * Introspection: what contracts a bus implements, locally (`describe`) and
 * on a peer (`describeRemote`, the `pipebus.describe` method that
 * `implement` registers). Core stays contract-agnostic: the registry lives
 * here, keyed by bus, and is shared by this package's ESM and CommonJS
 * builds through `globalThis`.
 */
import { BusError, type MessageBus } from '@pipebus/core';
import { checkKnownKeys, invalidArgument } from '@pipebus/core/transport-kit';
import type { Contract } from './contract.js';
import { checkDescription } from './describe-check.js';
import { describeContract, wireContract } from './describe-wire.js';
import type { BusDescription, DescribeOptions, DescribeRequest } from './description.js';

/** The bus method every bus with an implemented contract answers. */
export const DESCRIBE_METHOD = 'pipebus.describe';

const DESCRIBE_OPTION_KEYS: ReadonlySet<string> = new Set(['contract', 'schemas', 'to', 'timeout', 'signal']);
const REQUEST_KEYS: ReadonlySet<string> = new Set(['contract', 'schemas']);

interface Registration {
  readonly contract: Contract;
}
interface BusEntry {
  readonly registrations: Registration[];
  readonly stop: () => void;
}

// One registry per process, whichever build (ESM or CommonJS) of this
// package implements a contract: both must answer one pipebus.describe.
// Versioned: a later release that changes BusEntry takes another key, so
// two releases loaded in one process never read each other's entries.
const REGISTRY_KEY = Symbol.for('pipebus.contract.registry.v1');

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
      stop = bus.handle(DESCRIBE_METHOD, (payload: unknown) => answer(registrations, payload));
    } catch (error) {
      if (BusError.is(error, 'NOT_SUPPORTED')) {
        // A one-way transport (mailslot) cannot answer requests: nothing to
        // describe to, and an events-only contract must still work there.
        stop = () => undefined;
      } else if (BusError.is(error, 'INVALID_ARGUMENT')) {
        throw new BusError(
          'INVALID_ARGUMENT',
          `implement('${c.name}'): '${DESCRIBE_METHOD}' already has a handler on this bus: if another implement() registered it through another object wrapping the same bus, pass the same bus object to every implement() (or pass { describe: false }); if your code registered it, remove that handler`,
          { cause: error },
        );
      } else {
        throw error;
      }
    }
    entry = { registrations, stop };
    map.set(bus, entry);
  }
  const mine: Registration = { contract: c };
  const current = entry;
  current.registrations.push(mine);
  warmFingerprint(c);
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
 * Reads `c.fingerprint` on the next turn of the event loop. Its first read
 * converts every schema to JSON Schema (for a 500-method zod contract, a
 * second or more of blocked event loop): better just after start-up than
 * inside the first peer's describe, which a client's NO_HANDLER lookup
 * waits on for at most a second. Unref'd: it keeps no process alive.
 */
function warmFingerprint(c: Contract): void {
  const timer = setTimeout(() => void c.fingerprint, 0);
  (timer as { unref?: () => void }).unref?.();
}

/**
 * The contracts implemented on `bus` (by `implement`), as `pipebus.describe`
 * answers them to peers. The issue sketched `bus.describe()`; this is a
 * function of the contract package instead, so that core knows nothing of
 * contracts. Not named `describe`: in a test file that would hide the test
 * runner's `describe`.
 */
export function describeBus(bus: Pick<MessageBus, 'handle'>): BusDescription {
  return describeAll(registry().get(bus)?.registrations ?? []);
}

function describeAll(registrations: readonly Registration[]): BusDescription {
  return { format: 1, contracts: registrations.map((r) => describeContract(r.contract)) };
}

/** The server's answer to one describe request: what it asks for, JSON Schemas as JSON text. */
function answer(registrations: readonly Registration[], payload: unknown): unknown {
  const request = checkRequest(payload);
  const picked = request.contract === undefined ? registrations : registrations.filter((r) => r.contract.name === request.contract);
  return { format: 1, contracts: picked.map((r) => wireContract(r.contract, request.schemas !== false)) };
}

function checkRequest(payload: unknown): DescribeRequest {
  if (payload === undefined || payload === null) return {};
  const usage = `'${DESCRIBE_METHOD}' takes nothing or { contract?: string; schemas?: boolean }`;
  if (typeof payload !== 'object' || Array.isArray(payload)) throw invalidArgument(`${usage}, got ${Array.isArray(payload) ? 'an array' : typeof payload}`);
  checkKnownKeys(DESCRIBE_METHOD, payload, REQUEST_KEYS, '');
  const { contract, schemas } = payload as Record<string, unknown>;
  if (contract !== undefined && (typeof contract !== 'string' || contract.length === 0 || contract.length > 200)) throw invalidArgument(`${usage}: contract must be a contract name`);
  if (schemas !== undefined && typeof schemas !== 'boolean') throw invalidArgument(`${usage}: schemas must be true or false`);
  return { ...(contract !== undefined && { contract }), ...(schemas !== undefined && { schemas }) };
}

/**
 * Asks a peer which contracts its bus implements (requests
 * `pipebus.describe`; `contract` to ask about one name only, `schemas:
 * false` to leave the JSON Schemas out). The answer is checked before it is
 * returned: a malformed one (a JSON Schema text that does not parse, or
 * longer than the bound `describe-check.ts` states) rejects `DECODE_FAILED`
 * saying which member.
 *
 * Rejects `NO_HANDLER` when the peer implements no contract (or uses a
 * `@pipebus/contract` older than this release), and as `bus.request` does
 * otherwise (`TIMEOUT`, `TRANSPORT_CLOSED`…).
 */
export async function describeRemote(bus: Pick<MessageBus, 'request'>, options: DescribeOptions = {}): Promise<BusDescription> {
  checkKnownKeys('describeRemote()', options, DESCRIBE_OPTION_KEYS);
  const { contract, schemas, to, timeout, signal } = options;
  if (contract !== undefined && typeof contract !== 'string') throw invalidArgument(`describeRemote(): options.contract must be a contract name, got ${typeof contract}`);
  if (schemas !== undefined && typeof schemas !== 'boolean') throw invalidArgument(`describeRemote(): options.schemas must be true or false, got ${typeof schemas}`);
  // Nothing to send when every contract with schemas is asked: the smallest request.
  const request: DescribeRequest | undefined = contract === undefined && schemas !== false ? undefined : { ...(contract !== undefined && { contract }), ...(schemas === false && { schemas }) };
  let received: unknown;
  try {
    received = await bus.request(DESCRIBE_METHOD, request, { ...(to !== undefined && { to }), ...(timeout !== undefined && { timeout }), ...(signal !== undefined && { signal }) });
  } catch (error) {
    if (!BusError.is(error, 'NO_HANDLER')) throw error;
    throw new BusError('NO_HANDLER', `the peer implements no contract (or uses a @pipebus/contract older than this release): it has no handler for '${DESCRIBE_METHOD}'`, { cause: error });
  }
  return checkDescription(received);
}
