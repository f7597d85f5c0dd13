/**
 * Typed errors. A handler throws `contractError(C, 'reserve', 'OUT_OF_STOCK',
 * data)`; the caller's promise rejects with a {@link ContractError} of the
 * same code and (validated) data, which {@link isContractError} narrows.
 * On the wire it is an ordinary handler error (`code` = the declared code,
 * `details.data`), so a plain `bus.request` caller sees `REMOTE_ERROR` with
 * that `remoteCode`.
 */
import { BusError } from '@pipebus/core';
import { invalidArgument } from '@pipebus/core/transport-kit';
import type { Contract, ContractShape, MethodKeys } from './contract.js';
import type { CallTypes, ErrorTypes } from './methods.js';

type ErrorsOf<M extends ContractShape, K extends keyof M> = M[K] extends { readonly '~types'?: CallTypes<unknown, unknown, unknown, unknown, infer E> } ? E : never;
/** The declared error codes of method `K`. */
export type ErrorCodes<C extends Contract, K extends MethodKeys<C['members']>> = keyof ErrorsOf<C['members'], K> & string;
type ErrorData<C extends Contract, K extends MethodKeys<C['members']>, E extends string, Side extends keyof ErrorTypes[string]> =
  ErrorsOf<C['members'], K> extends infer Map ? (Map extends { readonly [P in E]: infer T } ? (T extends ErrorTypes[string] ? T[Side] : never) : never) : never;

// The ESM and CommonJS builds of this package are two classes: the brand,
// shared through Symbol.for, lets isContractError recognise either's errors.
const CONTRACT_ERROR_BRAND = Symbol.for('pipebus.ContractError');

/**
 * A declared error of a contract method: a `REMOTE_ERROR` whose `remoteCode`
 * is the declared code and whose `data` matched the declared schema.
 */
export class ContractError<Code extends string = string, Data = unknown> extends BusError {
  declare readonly remoteCode: Code;
  /** The error's data, as declared in the contract. */
  readonly data: Data;
  /** The contract's name. */
  readonly contract: string;
  /** The method that failed. */
  readonly method: string;

  constructor(contract: string, method: string, code: Code, data: Data, message: string, details?: Readonly<Record<string, unknown>>) {
    super('REMOTE_ERROR', message, { remoteCode: code, details: { ...details, data } });
    this.name = 'ContractError';
    this.data = data;
    this.contract = contract;
    this.method = method;
  }
}

Object.defineProperty(ContractError.prototype, CONTRACT_ERROR_BRAND, { value: true });

/**
 * Makes the declared error `code` of `method` for a handler to throw.
 *
 * @example
 * ```ts
 * throw contractError(Inventory, 'reserve', 'OUT_OF_STOCK', { sku, left: 0 });
 * ```
 */
export function contractError<C extends Contract, K extends MethodKeys<C['members']>, E extends ErrorCodes<C, K>>(
  c: C,
  method: K,
  code: E,
  data: ErrorData<C, K, E, 'thrown'>,
  message?: string,
): ContractError<E, ErrorData<C, K, E, 'thrown'>> {
  const member = c.members[method];
  if (member === undefined || member.kind === 'event' || !Object.prototype.hasOwnProperty.call(member.errors, code)) {
    throw invalidArgument(`contractError(): '${c.name}.${String(method)}' declares no error '${String(code)}'`, { method, code });
  }
  // The default message adds what the code and the method (both already in the
  // caller's error) do not say: that the contract declares it, and where its data is.
  return new ContractError(c.name, method, code, data, message ?? `${code}, an error declared by the contract '${c.name}' (its data is in details.data)`);
}

/**
 * True when `error` is the declared error `code` of `method` (as a client of
 * the contract receives it); narrows `error.data` to the declared type.
 */
export function isContractError<C extends Contract, K extends MethodKeys<C['members']>, E extends ErrorCodes<C, K>>(
  error: unknown,
  c: C,
  method: K,
  code: E,
): error is ContractError<E, ErrorData<C, K, E, 'received'>> {
  if (error === null || typeof error !== 'object' || (error as { [CONTRACT_ERROR_BRAND]?: unknown })[CONTRACT_ERROR_BRAND] !== true) return false;
  const e = error as ContractError;
  return e.contract === c.name && e.method === method && e.remoteCode === code;
}

/**
 * What a handler's `ContractError` becomes on the wire: the responder sends
 * `code`, `message` and `details` of what a handler throws.
 */
export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

/** Marks the failures the contract layer itself reports, so the client can give them their own code back. */
export const STAGE = 'contractStage';
/** Where a contract-layer failure happened. */
export type Stage = 'input' | 'output' | 'schema';
