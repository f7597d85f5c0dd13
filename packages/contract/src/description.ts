/**
 * The shape of a `pipebus.describe` answer, shared by the side that builds
 * it and the side that checks it.
 */
import type { PeerId } from '@pipebus/core';
import type { SchemaDescription, ErrorDescription } from './fingerprint.js';

export type { ErrorDescription, SchemaDescription };

/** What `pipebus.describe` answers (JSON- and msgpack-safe: plain objects, strings, numbers, null, arrays). */
export interface BusDescription {
  /** The answer's format; a receiver refuses another. */
  readonly format: 1;
  /** The contracts the bus implements, in the order they were implemented. */
  readonly contracts: readonly ContractDescription[];
}

/** One implemented contract. */
export interface ContractDescription {
  /** The contract's name (`'inventory'`). */
  readonly name: string;
  /** Its semantic version, `null` when it has none. */
  readonly version: string | null;
  /** The hash of the contract's shape (`Contract.fingerprint`). */
  readonly fingerprint: string;
  /** Its prefix on the wire (`'inventory.v2'`). */
  readonly prefix: string;
  /** Its members, in definition order. */
  readonly members: readonly MemberDescription[];
}

/** One member of a contract. */
export interface MemberDescription {
  /** The member's key: a method name (`'reserve'`) or a topic pattern (`'stock.*.changed'`). */
  readonly key: string;
  /** What the member is: a method answering once, a method answering with many values, or an event. */
  readonly kind: 'rpc' | 'stream' | 'event';
  /** Its bus method or topic pattern (`'inventory.v2.reserve'`, `'inventory.v2.stock.*.changed'`). */
  readonly wire: string;
  /** rpc and stream: the input's schema; `null` when typed only (no runtime schema). */
  readonly input?: SchemaDescription | null;
  /** rpc and stream: the output's schema (each value's, for a stream); `null` when typed only. */
  readonly output?: SchemaDescription | null;
  /** rpc and stream: the declared errors, with their data's schema. */
  readonly errors?: readonly ErrorDescription[];
  /** event: the payload's schema; `null` when typed only. */
  readonly payload?: SchemaDescription | null;
}

/**
 * What a `pipebus.describe` request asks (its payload; absent, every
 * contract with its schemas). A server refuses an unknown key or a bad
 * value with `INVALID_ARGUMENT`.
 */
export interface DescribeRequest {
  /** Only the contracts of this name (every major of it). */
  readonly contract?: string;
  /** False: schema slots carry their vendor only, no JSON Schema (a small answer). Default true. */
  readonly schemas?: boolean;
}

/**
 * A schema slot as it travels: the JSON Schema as JSON text, so that it
 * costs the receiver one decoded element whatever its size (a big
 * contract's answer stays far below `maxDecodedElements`).
 */
export interface WireSchemaDescription {
  /** The Standard Schema vendor. */
  readonly vendor: string;
  /** `JSON.stringify` of the JSON Schema, when the library exposes one. */
  readonly jsonSchema?: string;
}

/** Options of {@link describeRemote} (and {@link checkContract}). */
export interface DescribeOptions extends DescribeRequest {
  /** The peer to ask; needed only on a bus with several peers (a server). */
  readonly to?: PeerId;
  /** Milliseconds to wait for the answer. Default: the bus's `defaultTimeout`. */
  readonly timeout?: number;
  /** Aborting it cancels the request. */
  readonly signal?: AbortSignal;
}
