/**
 * The three kinds of contract member — `rpc`, `stream` and `event` — as plain
 * frozen values. Their TypeScript types ride along in a phantom `~types`
 * property (never set at runtime), so one definition types both sides with
 * no code generation.
 */
import { BusErrorCodes, type BusErrorCode } from '@pipebus/core';
import { invalidArgument } from '@pipebus/core/transport-kit';
import { isStandardSchema, isTyped, type StandardSchemaV1 } from './schema.js';

/** Data types of one declared error: what a handler throws, and what a caller receives (after the schema ran). */
export interface ErrorType<Thrown = unknown, Received = Thrown> {
  readonly thrown: Thrown;
  readonly received: Received;
}

/** Declared errors of a method, by code. */
export type ErrorTypes = { readonly [code: string]: ErrorType };

/**
 * The types a request-style member carries (phantom): what a caller sends
 * (`input`), what the handler receives after validation (`parsed`), what the
 * handler returns (`result`), what the caller receives (`output`), and the
 * declared errors.
 */
export interface CallTypes<I = unknown, P = unknown, R = unknown, O = unknown, E extends ErrorTypes = ErrorTypes> {
  readonly input: I;
  readonly parsed: P;
  readonly result: R;
  readonly output: O;
  readonly errors: E;
}

/** What every request-style member holds at runtime. */
interface CallMember<T extends CallTypes> {
  /** Validates what the caller sends; `undefined` when typed only (`rpc<In, Out>()`, `typed<T>()`). */
  readonly input: StandardSchemaV1 | undefined;
  /** Validates what the handler returns (opt-in, see `implement`); `undefined` when typed only. */
  readonly output: StandardSchemaV1 | undefined;
  /** Declared error codes, each with the schema of its data (`undefined` when typed only: `typed<T>()`). */
  readonly errors: { readonly [code: string]: StandardSchemaV1 | undefined };
  /** Phantom: the member's types. Never present at runtime. */
  readonly '~types'?: T;
}

/** A request answered by one value. Made by {@link rpc}. */
export interface RpcMethod<T extends CallTypes = CallTypes> extends CallMember<T> {
  readonly kind: 'rpc';
}

/** A request answered by a stream of values (`Observable` on the client). Made by {@link stream}. */
export interface StreamMethod<T extends CallTypes = CallTypes> extends CallMember<T> {
  readonly kind: 'stream';
}

/** The types an event carries (phantom): what a publisher sends, what a subscriber receives. */
export interface EventTypes<Pub = unknown, Sub = unknown> {
  readonly payload: Pub;
  readonly received: Sub;
}

/** An event published on a topic that matches its key (wildcards allowed). Made by {@link event}. */
export interface EventMember<T extends EventTypes = EventTypes> {
  readonly kind: 'event';
  /** Validates payloads as a subscriber receives them; `undefined` when typed only (`event<T>()`, `typed<T>()`). */
  readonly payload: StandardSchemaV1 | undefined;
  /** Phantom: the event's types. Never present at runtime. */
  readonly '~types'?: T;
}

/** Any member of a contract. */
export type ContractMember = RpcMethod | StreamMethod | EventMember;

/** The schemas of an `rpc` or `stream` member; each is optional, and each may be `typed<T>()` (a type, no validation). */
export interface CallDefinition {
  readonly input?: StandardSchemaV1;
  readonly output?: StandardSchemaV1;
  readonly errors?: { readonly [code: string]: StandardSchemaV1 };
}

type InOf<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : void;
type OutOf<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : void;
type ErrorsOf<D> = D extends { readonly errors: infer E extends { readonly [code: string]: StandardSchemaV1 } }
  ? { readonly [C in keyof E & string]: ErrorType<InOf<E[C]>, OutOf<E[C]>> }
  : Record<never, never>;

/** The types of a member defined by its schemas. */
export type CallTypesOf<D extends CallDefinition> = CallTypes<InOf<D['input']>, OutOf<D['input']>, InOf<D['output']>, OutOf<D['output']>, ErrorsOf<D>>;

/** The codes a contract may not declare (the bus's own, and the one it gives a plain thrown error): refused at definition. */
type ReservedCode = BusErrorCode | 'HANDLER_ERROR';

/**
 * Makes declaring one of the bus's own codes (`NOT_FOUND`, `TIMEOUT`…) a
 * compile error whose text says why, rather than only a throw at import.
 * Only the keys are looked at, so it costs one mapped type per method.
 */
type OwnCodesOnly<D> = D extends { readonly errors: infer E }
  ? { readonly errors: { readonly [K in keyof E]: K extends ReservedCode ? `'${K}' is a pipebus error code; declare a code of your domain (OUT_OF_STOCK)` : E[K] } }
  : unknown;

/**
 * A request-response method. With schemas (any Standard Schema v1 library:
 * zod 4, valibot 1, arktype 2…) its types are inferred and its input is
 * validated by the server; with type arguments only (`rpc<In, Out>()`),
 * or `typed<T>()` in place of a schema, it is typed but not validated.
 *
 * @throws BusError `INVALID_ARGUMENT` when a schema is not a Standard Schema
 *   or an error code is not usable.
 */
export function rpc<I = void, O = void>(): RpcMethod<CallTypes<I, I, O, O, Record<never, never>>>;
export function rpc<D extends CallDefinition>(definition: D & OwnCodesOnly<D>): RpcMethod<CallTypesOf<D>>;
export function rpc(definition?: CallDefinition): RpcMethod {
  return Object.freeze({ kind: 'rpc' as const, ...callMember('rpc', definition) });
}

/**
 * A server-streaming method: the client gets an `Observable`, the handler
 * returns an Observable, an AsyncIterable or a Promise. Schemas as for
 * {@link rpc}; `output` describes each value.
 */
export function stream<I = void, O = void>(): StreamMethod<CallTypes<I, I, O, O, Record<never, never>>>;
export function stream<D extends CallDefinition>(definition: D & OwnCodesOnly<D>): StreamMethod<CallTypesOf<D>>;
export function stream(definition?: CallDefinition): StreamMethod {
  return Object.freeze({ kind: 'stream' as const, ...callMember('stream', definition) });
}

/**
 * An event. Its key in the contract is the topic pattern it is published on
 * (`'stock.*.changed'`); `payload` is validated where it is received.
 */
export function event<T = void>(): EventMember<EventTypes<T, T>>;
export function event<S extends StandardSchemaV1>(definition: { readonly payload: S }): EventMember<EventTypes<StandardSchemaV1.InferInput<S>, StandardSchemaV1.InferOutput<S>>>;
export function event(definition?: { readonly payload: StandardSchemaV1 }): EventMember {
  if (definition === undefined) return Object.freeze({ kind: 'event' as const, payload: undefined });
  checkDefinition('event', definition, ['payload']);
  return Object.freeze({ kind: 'event' as const, payload: schemaOrUndefined('event', 'payload', definition.payload) });
}

/** Codes a contract may not declare: the bus's own, and the one it gives a plain thrown error. */
const RESERVED_ERROR_CODES: ReadonlySet<string> = new Set<string>([...BusErrorCodes, 'HANDLER_ERROR']);
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function callMember(kind: 'rpc' | 'stream', definition: CallDefinition | undefined): Omit<RpcMethod, 'kind'> {
  if (definition === undefined) return { input: undefined, output: undefined, errors: Object.freeze({}) };
  checkDefinition(kind, definition, ['input', 'output', 'errors']);
  const errors: Record<string, StandardSchemaV1 | undefined> = {};
  const declared: unknown = definition.errors;
  if (declared !== undefined) {
    if (declared === null || typeof declared !== 'object' || Array.isArray(declared)) {
      throw invalidArgument(`${kind}(): errors must be an object of error code → schema, such as { OUT_OF_STOCK: schema }`);
    }
    for (const [code, schema] of Object.entries(declared)) {
      if (!ERROR_CODE.test(code)) throw invalidArgument(`${kind}(): error code '${code}' must be a letter then up to 63 letters, digits, '_', '.' or '-'`, { code });
      if (RESERVED_ERROR_CODES.has(code)) {
        throw invalidArgument(`${kind}(): error code '${code}' is the bus's own; declare a code of your domain (OUT_OF_STOCK)`, { code });
      }
      errors[code] = schemaOrUndefined(kind, `errors.${code}`, schema);
    }
  }
  return {
    input: definition.input === undefined ? undefined : schemaOrUndefined(kind, 'input', definition.input),
    output: definition.output === undefined ? undefined : schemaOrUndefined(kind, 'output', definition.output),
    errors: Object.freeze(errors),
  };
}

function checkDefinition(kind: string, definition: unknown, keys: readonly string[]): void {
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    throw invalidArgument(`${kind}() takes an object such as { ${keys[0]}: schema }, got ${typeof definition}`);
  }
  for (const key of Object.keys(definition)) {
    if (!keys.includes(key)) throw invalidArgument(`${kind}(): unknown key '${key}'; valid keys are ${keys.map((k) => `'${k}'`).join(', ')}`, { key });
  }
}

/** The schema to run in a slot: `undefined` for `typed<T>()`, which types the slot and validates nothing. */
function schemaOrUndefined(kind: string, where: string, value: unknown): StandardSchemaV1 | undefined {
  if (isTyped(value)) return undefined;
  if (!isStandardSchema(value)) {
    throw invalidArgument(`${kind}(): ${where} is not a Standard Schema v1 (no '~standard.validate'); pass a zod 4, valibot 1 or arktype 2 schema, or typed<T>() to type it without validation`, {
      key: where,
    });
  }
  return value;
}
