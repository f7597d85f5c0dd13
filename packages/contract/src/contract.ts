/**
 * `contract()`: a named set of methods and events, defined once and imported
 * by both sides. On the wire a method is `${prefix}.${method}` and an event
 * is published on `${prefix}.${topic}`, where the prefix is the name, plus
 * `.v${major}` for a versioned contract (`inventory.v2`): plain `bus.request`
 * and `bus.subscribe` reach them too, one contract's names never meet
 * another's, and two majors of one contract can be served side by side.
 */
import { validatePattern } from '@pipebus/core';
import { checkKnownKeys, invalidArgument } from '@pipebus/core/transport-kit';
import { fingerprintOf } from './fingerprint.js';
import type { ContractMember, EventMember, RpcMethod, StreamMethod } from './methods.js';

/** The members of a contract, by name (methods) or topic pattern (events). */
export type ContractShape = { readonly [key: string]: ContractMember };

/** Options of a contract. */
export interface ContractOptions {
  /**
   * Semantic version of the contract (`'2.1.0'`). Its major goes on the wire
   * (`inventory.v2.reserve`): bump it to break, and a client of another
   * major gets `CONTRACT_MISMATCH` instead of a misparse. `0.y.z` is the
   * line `v0`. Without a version, names are `${name}.${member}`.
   */
  readonly version?: string;
}

/** A service contract: a plain frozen value. */
export interface Contract<N extends string = string, M extends ContractShape = ContractShape> {
  /** The contract's name. */
  readonly name: N;
  /** The version given at definition, if any. */
  readonly version: string | undefined;
  /** The prefix of its methods and topics on the bus: the name, plus `.v${major}` when versioned (`inventory.v2`). */
  readonly prefix: string;
  /**
   * 16 hex chars hashing the contract's shape: member keys and kinds,
   * declared error codes, and each schema's vendor and JSON Schema (where
   * the library exposes one). Not the name, the version nor the order of
   * definition. Computed on first read, then cached.
   *
   * The JSON Schema is the library's own output: upgrading it, or moving a
   * schema to another library, can change the fingerprint while the data
   * accepted stays the same. A typed-only slot, or a library that exposes no
   * JSON Schema, contributes only its presence and vendor: two contracts
   * that differ only there have the same fingerprint.
   */
  readonly fingerprint: string;
  /** The members as defined. */
  readonly members: M;
}

/** Keys of the request-style members (`rpc` and `stream`). */
export type MethodKeys<M extends ContractShape> = { [K in keyof M & string]: M[K] extends RpcMethod | StreamMethod ? K : never }[keyof M & string];
/** Keys of the events (topic patterns). */
export type EventKeys<M extends ContractShape> = { [K in keyof M & string]: M[K] extends EventMember ? K : never }[keyof M & string];

// A contract name is one or more dot-separated identifiers; a method name is
// one identifier, so that it is a property of the client and a single token.
/** A contract name: dot-separated identifiers (also what a describe answer's names must be). */
export const CONTRACT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;
/** A method name: one identifier. */
export const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the client object uses itself, or that would make it a thenable or break it as an object. */
const RESERVED_METHOD_NAMES: ReadonlySet<string> = new Set(['emit', 'on', 'contract', 'then', 'constructor', 'toString', 'toJSON', 'valueOf', 'hasOwnProperty', '__proto__']);
const CONTRACT_OPTION_KEYS: ReadonlySet<string> = new Set(['version']);
/** Semver 2.0.0, numeric parts without leading zeros, so that one major has one wire prefix. */
export const SEMVER = /^(0|[1-9]\d{0,15})\.(0|[1-9]\d{0,15})\.(0|[1-9]\d{0,15})(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** A token that looks like a major's (`v2`): a name or topic ending or starting with one would meet a versioned prefix. */
export const MAJOR_TOKEN = /^v\d+$/;

/**
 * Defines a contract.
 *
 * @example
 * ```ts
 * export const Inventory = contract('inventory', { version: '1.0.0' }, {
 *   reserve: rpc({ input: Reserve, output: Reserved, errors: { OUT_OF_STOCK: OutOfStock } }),
 *   watch: stream({ input: z.string(), output: Price }),
 *   'stock.*.changed': event({ payload: StockChanged }),
 * });
 * ```
 * @throws BusError `INVALID_ARGUMENT` for a bad name (a name ending in a
 *   `v<digits>` token, or `pipebus` and `pipebus.*`, are reserved), method
 *   name or topic pattern, a member not made by `rpc`/`stream`/`event`, or
 *   a bad option.
 */
export function contract<const N extends string, M extends ContractShape>(name: N, members: M): Contract<N, M>;
export function contract<const N extends string, M extends ContractShape>(name: N, options: ContractOptions, members: M): Contract<N, M>;
export function contract(name: string, optionsOrMembers: unknown, maybeMembers?: unknown): Contract {
  const [options, members] = maybeMembers === undefined ? [{}, optionsOrMembers] : [optionsOrMembers, maybeMembers];
  if (typeof name !== 'string' || !CONTRACT_NAME.test(name) || name.length > 200) {
    throw invalidArgument(`contract(): name must be dot-separated identifiers such as 'inventory' or 'acme.inventory', got ${JSON.stringify(name)}`);
  }
  const tokens = name.split('.');
  if (MAJOR_TOKEN.test(tokens[tokens.length - 1]!)) {
    throw invalidArgument(`contract('${name}'): a name may not end in a version token ('${tokens[tokens.length - 1]}'): the major goes on the wire by itself; write contract('${tokens.slice(0, -1).join('.') || 'name'}', { version: '${tokens[tokens.length - 1]!.slice(1)}.0.0' }, …)`);
  }
  if (tokens[0] === 'pipebus') throw invalidArgument(`contract('${name}'): names under 'pipebus' are the bus's own (pipebus.describe); choose another name`);
  if (options === null || typeof options !== 'object') throw invalidArgument(`contract('${name}'): options must be an object such as { version: '1.0.0' }`);
  checkKnownKeys(`contract('${name}')`, options, CONTRACT_OPTION_KEYS);
  const version = (options as ContractOptions).version;
  if (version !== undefined && (typeof version !== 'string' || version.length > 256 || !SEMVER.test(version))) {
    throw invalidArgument(`contract('${name}'): version must be a semantic version such as '2.1.0', got ${JSON.stringify(version)}`);
  }
  if (members === null || typeof members !== 'object' || Array.isArray(members)) {
    throw invalidArgument(`contract('${name}'): members must be an object such as { get: rpc(...), 'item.changed': event(...) }`);
  }
  const checked: Record<string, ContractMember> = {};
  for (const [key, member] of Object.entries(members)) checked[key] = checkMember(name, key, member);
  if (Object.keys(checked).length === 0) throw invalidArgument(`contract('${name}') has no members; declare at least one rpc, stream or event`);
  if (version === undefined) {
    const clash = Object.keys(checked).find((key) => checked[key]!.kind === 'event' && MAJOR_TOKEN.test(key.split('.')[0]!));
    if (clash !== undefined) {
      throw invalidArgument(`contract('${name}'): event '${clash}' would be published among the topics of version ${clash.split('.')[0]!.slice(1)} of this contract; give the contract a version, or the topic another first token`, { key: clash });
    }
  }
  const frozen = Object.freeze(checked);
  const value = { name, version, prefix: version === undefined ? name : `${name}.v${version.slice(0, version.indexOf('.'))}`, members: frozen };
  // A getter, computed on first read: defining a 500-method contract at import stays free.
  Object.defineProperty(value, 'fingerprint', { enumerable: true, get: () => fingerprintOf(frozen) });
  return Object.freeze(value as Contract);
}

function checkMember(name: string, key: string, member: unknown): ContractMember {
  const kind = (member as { kind?: unknown } | null)?.kind;
  if (member === null || typeof member !== 'object' || !Object.isFrozen(member) || (kind !== 'rpc' && kind !== 'stream' && kind !== 'event')) {
    throw invalidArgument(`contract('${name}'): '${key}' must be made by rpc(), stream() or event()`, { key });
  }
  if (kind === 'event') {
    try {
      validatePattern(key);
    } catch (error) {
      throw invalidArgument(`contract('${name}'): event '${key}' is not a valid topic pattern: ${(error as Error).message}`, { key });
    }
  } else if (!METHOD_NAME.test(key) || key.length > 200) {
    throw invalidArgument(`contract('${name}'): method name '${key}' must be an identifier (letters, digits, '_'; no dots: a dotted key is an event's topic)`, { key });
  } else if (RESERVED_METHOD_NAMES.has(key)) {
    throw invalidArgument(`contract('${name}'): method name '${key}' is reserved (the client uses it); choose another`, { key });
  }
  return member as ContractMember;
}

/** The bus method name of a contract's method: `${prefix}.${method}`. */
export function methodName(c: Contract, method: string): string {
  return `${c.prefix}.${method}`;
}

/** The bus topic (or pattern) of a contract's event topic: `${prefix}.${topic}`. */
export function topicName(c: Contract, topic: string): string {
  return `${c.prefix}.${topic}`;
}
