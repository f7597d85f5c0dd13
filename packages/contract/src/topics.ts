/**
 * Compile-time topic matching: a concrete topic passed to `emit` must match
 * one of the contract's event patterns (`*` one token, `>` the rest), and
 * its payload is the matching events' payload type. Kept shallow (one
 * recursion per token) so that large contracts stay cheap to check.
 */
import type { ContractShape, EventKeys } from './contract.js';
import type { EventTypes } from './methods.js';

type TokenMatches<T extends string, P extends string> = P extends '*' ? (T extends '' ? false : true) : T extends P ? true : false;

/** True when topic `T` matches pattern `P`, token by token. */
export type MatchesPattern<T extends string, P extends string> = P extends '>'
  ? T extends '' ? false : true
  : P extends `${infer PH}.${infer PR}`
    ? T extends `${infer TH}.${infer TR}`
      ? TokenMatches<TH, PH> extends true ? MatchesPattern<TR, PR> : false
      : false
    : T extends `${string}.${string}`
      ? false
      : TokenMatches<T, P>;

/** The event patterns of `M` that topic `T` matches. */
export type MatchingPatterns<M extends ContractShape, T extends string> = { [P in EventKeys<M>]: MatchesPattern<T, P> extends true ? P : never }[EventKeys<M>];

type EventTypesOf<D> = D extends { readonly '~types'?: infer E } ? (NonNullable<E> extends EventTypes ? NonNullable<E> : never) : never;

/** The payload a publisher sends on topic `T`. */
export type EmitPayload<M extends ContractShape, T extends string> = EventTypesOf<M[MatchingPatterns<M, T>]>['payload'];

/** The payload a subscriber to `T` (a declared pattern, or a topic matching one) receives. */
export type OnPayload<M extends ContractShape, T extends string> = EventTypesOf<M[T extends EventKeys<M> ? T : MatchingPatterns<M, T>]>['received'];

/** `T` when it is a concrete topic of the contract, else a message saying why not. */
export type ContractTopic<M extends ContractShape, T extends string> = T extends `${string}*${string}` | `${string}>${string}`
  ? `emit() takes a concrete topic, without wildcards: '${T}'`
  : [MatchingPatterns<M, T>] extends [never]
    ? `topic '${T}' matches no event of the contract`
    : T;

/** `T` when it is a declared pattern or a topic matching one, else a message saying why not. */
export type ContractPattern<M extends ContractShape, T extends string> = T extends EventKeys<M>
  ? T
  : [MatchingPatterns<M, T>] extends [never]
    ? `'${T}' is neither an event pattern of the contract nor a topic matching one`
    : T;
