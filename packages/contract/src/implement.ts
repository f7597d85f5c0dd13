/**
 * `implement()`: registers a contract's handlers on a bus, validating input
 * before each handler runs (and, opt-in, what it returns).
 */
import { BusError, consoleLogger, type HandlerContext, type Logger, type MessageBus } from '@pipebus/core';
import { checkKnownKeys, invalidArgument } from '@pipebus/core/transport-kit';
import { catchError, concatMap, defer, from, isObservable, mergeMap, Observable, throwError } from 'rxjs';
import { methodName, type Contract, type ContractShape, type MethodKeys } from './contract.js';
import { register } from './describe.js';
import { ContractError, STAGE, WireError, type Stage } from './errors.js';
import type { RpcMethod, StreamMethod } from './methods.js';
import { check, describeIssues, type Checked } from './schema.js';

// Indexed access into the phantom types, not `infer`: it runs once per
// handler, and a 500-method contract must stay cheap to check.
type Parsed<D extends RpcMethod | StreamMethod> = NonNullable<D['~types']>['parsed'];
type Result<D extends RpcMethod | StreamMethod> = NonNullable<D['~types']>['result'];

/** The handler of one member: an rpc answers once, a stream with many values. */
export type MemberHandler<D extends RpcMethod | StreamMethod> = D extends { readonly kind: 'stream' }
  ? (input: Parsed<D>, context: HandlerContext) => Observable<Result<D>> | AsyncIterable<Result<D>> | Promise<Result<D>>
  : (input: Parsed<D>, context: HandlerContext) => Result<D> | Promise<Result<D>>;

/** One handler per method of the contract: none missing, none extra. */
export type ContractHandlers<C extends Contract> = { readonly [K in MethodKeys<C['members']>]: MemberHandler<Extract<C['members'][K], RpcMethod | StreamMethod>> };

/** Options of {@link implement}. */
export interface ImplementOptions {
  /**
   * Validate each result (and each streamed value, and each declared
   * error's data) against the contract before sending it: a mismatch
   * reaches the caller as `INTERNAL` and is logged here. Default false.
   */
  readonly validateOutput?: boolean;
  /** Where failed output validation and throwing schemas are reported. Default: the console (warnings and errors). */
  readonly logger?: Logger;
  /**
   * List the contract in `describeBus(bus)` and answer peers' `pipebus.describe`
   * with it (its members and schemas). False hides it from peers (and from
   * `describeBus(bus)`); a client of another version then gets `NO_HANDLER`,
   * not `CONTRACT_MISMATCH`. Default true.
   */
  readonly describe?: boolean;
  /**
   * Queue group of every method's handler (`bus.handle(method, fn, { queue })`):
   * on a routed transport (NATS) each call reaches one member of the group,
   * so several processes implementing the contract share its load. Not
   * applied to `pipebus.describe`, which describes this one bus: every
   * member answers a describe, and the asker keeps the first answer.
   * `NOT_SUPPORTED` on any other transport, and then nothing is registered.
   */
  readonly queue?: string;
}

const IMPLEMENT_OPTION_KEYS: ReadonlySet<string> = new Set(['validateOutput', 'logger', 'describe', 'queue']);

/**
 * Implements contract `c` on `bus`: one `bus.handle` per method, under
 * `${prefix}.${method}` (`inventory.v2.reserve`). The first contract
 * implemented on a bus also registers `pipebus.describe`, which answers
 * peers (`describeRemote`, `pipebus describe`) with every contract the bus
 * implements (unless `describe: false`; not on a one-way bus, which cannot
 * answer requests); two majors of one contract can be implemented side by
 * side. Pass the same bus object to every `implement()` of one bus: the
 * list of contracts is kept per object.
 * Returns a function that unregisters them all (the last one also
 * `pipebus.describe`). With `queue`, several processes implementing `c` on
 * a routed transport (NATS) share its calls.
 *
 * @throws BusError `INVALID_ARGUMENT` naming missing or extra handlers, or a
 *   method that already has a handler on this bus (as `bus.handle` does);
 *   `NOT_SUPPORTED` when `queue` is given on a transport without queue groups.
 */
export function implement<C extends Contract>(bus: Pick<MessageBus, 'handle'>, c: C, handlers: NoInfer<ContractHandlers<C>>, options: ImplementOptions = {}): () => void {
  checkKnownKeys(`implement('${c.name}')`, options, IMPLEMENT_OPTION_KEYS);
  const given = handlers as unknown as Record<string, unknown>;
  if (given === null || typeof given !== 'object') throw invalidArgument(`implement('${c.name}'): handlers must be an object of method → function`);
  const members = c.members as ContractShape;
  const methods = Object.keys(members).filter((k) => members[k]!.kind !== 'event');
  const missing = methods.filter((k) => typeof given[k] !== 'function');
  const extra = Object.keys(given).filter((k) => !methods.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [missing.length > 0 && `missing handler(s) ${missing.map((k) => `'${k}'`).join(', ')}`, extra.length > 0 && `handler(s) not in the contract ${extra.map((k) => `'${k}'`).join(', ')}`];
    throw invalidArgument(`implement('${c.name}'): ${parts.filter(Boolean).join('; ')}`, { missing, extra });
  }
  if (options.describe !== undefined && typeof options.describe !== 'boolean') throw invalidArgument(`implement('${c.name}'): options.describe must be true or false`);
  const o = { validateOutput: options.validateOutput === true, logger: options.logger ?? consoleLogger };
  // Checked by bus.handle (a name, and a transport that can load-balance); passed only when given,
  // so a bus whose handle() predates queue groups is called as before.
  const handleOptions = options.queue === undefined ? undefined : { queue: options.queue };
  const stops: (() => void)[] = [];
  try {
    for (const key of methods) {
      const member = members[key] as RpcMethod | StreamMethod;
      const handler = given[key] as (input: unknown, context: HandlerContext) => unknown;
      const wire = methodName(c, key);
      const site: Site = { contract: c.name, method: key, wire, member, logger: o.logger, validateOutput: o.validateOutput };
      const run = member.kind === 'rpc' ? rpcHandler(site, handler) : streamHandler(site, handler);
      stops.push(handleOptions === undefined ? bus.handle(wire, run) : bus.handle(wire, run, handleOptions));
    }
    if (options.describe !== false) stops.push(register(bus, c));
  } catch (error) {
    for (const stop of stops) stop();
    throw error;
  }
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}

interface Site {
  readonly contract: string;
  readonly method: string;
  readonly wire: string;
  readonly member: RpcMethod | StreamMethod;
  readonly logger: Logger;
  readonly validateOutput: boolean;
}

function rpcHandler(site: Site, handler: (input: unknown, context: HandlerContext) => unknown): (payload: unknown, context: HandlerContext) => unknown {
  const { input } = site.member;
  // Made once per method, not per call: an async handler's answer takes one reaction and no closure.
  const answered = (result: unknown): unknown => checkOutput(site, result);
  const failed = (error: unknown): Promise<never> => Promise.reject(toWire(site, error));
  const run = (value: unknown, context: HandlerContext): unknown => {
    let result: unknown;
    try {
      result = handler(value, context);
    } catch (error) {
      throw toWire(site, error);
    }
    if (result instanceof Promise) return result.then(answered, failed);
    return checkOutput(site, result);
  };
  // Without an input schema the handler runs as bus.handle would run it: no extra work per call.
  if (input === undefined) return run;
  return (payload, context) => {
    const value = validate(site, 'input', payload);
    // A synchronous schema (zod, valibot, arktype) answers at once: no closure, no extra tick.
    return value instanceof Promise ? value.then((v) => run(v, context)) : run(value, context);
  };
}

function streamHandler(site: Site, handler: (input: unknown, context: HandlerContext) => unknown): (payload: unknown, context: HandlerContext) => Observable<unknown> {
  const { input, output } = site.member;
  return (payload, context) =>
    defer(() => {
      const valid = input === undefined ? payload : validate(site, 'input', payload);
      return valid instanceof Promise ? from(valid).pipe(mergeMap((v) => toObservable(handler(v, context)))) : toObservable(handler(valid, context));
    }).pipe(
      concatMap((value) => (site.validateOutput && output !== undefined ? from(Promise.resolve(validate(site, 'output', value))) : [value])),
      catchError((error: unknown) => throwError(() => toWire(site, error))),
    );
}

function toObservable(result: unknown): Observable<unknown> {
  if (isObservable(result)) return result;
  if (result instanceof Promise) return from(result);
  if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) return from(result as AsyncIterable<unknown>);
  return throwError(() => new BusError('INTERNAL', 'a stream handler must return an Observable, an AsyncIterable or a Promise'));
}

function checkOutput(site: Site, result: unknown): unknown {
  return site.validateOutput && site.member.output !== undefined ? validate(site, 'output', result) : result;
}

/**
 * Runs the member's `input` or `output` schema. A mismatch of input is the
 * caller's to fix (`INVALID_ARGUMENT` with the issues); of output, the
 * server's (`INTERNAL`, logged here, issues kept out of the caller's
 * error); a schema that throws is `INTERNAL` too.
 */
function validate(site: Site, stage: 'input' | 'output', value: unknown): unknown {
  const schema = site.member[stage]!;
  let checked: Checked | Promise<Checked>;
  try {
    checked = check(schema, value);
  } catch (error) {
    throw schemaThrew(site, stage, error);
  }
  if (checked instanceof Promise) {
    return checked.then(
      (c) => unwrap(site, stage, c),
      (error: unknown) => Promise.reject(schemaThrew(site, stage, error)),
    );
  }
  return unwrap(site, stage, checked);
}

function unwrap(site: Site, stage: 'input' | 'output', checked: Checked): unknown {
  if (checked.ok) return checked.value;
  if (stage === 'input') {
    return fail('INVALID_ARGUMENT', `'${site.wire}': invalid input: ${describeIssues(checked.issues)}`, 'input', { issues: checked.issues });
  }
  site.logger.error(`'${site.wire}': the handler's result does not match the contract's output schema: ${describeIssues(checked.issues)}`, { method: site.wire, issues: checked.issues });
  return fail('INTERNAL', `'${site.wire}': the service's answer did not match its contract (the server logged why)`, 'output', {});
}

function schemaThrew(site: Site, stage: 'input' | 'output', error: unknown): WireError {
  site.logger.error(`'${site.wire}': the ${stage} schema threw instead of returning issues`, { method: site.wire, error: String(error) });
  return new WireError('INTERNAL', `'${site.wire}': the service's ${stage} schema failed (the server logged why)`, { [STAGE]: 'schema' satisfies Stage });
}

function fail(code: 'INVALID_ARGUMENT' | 'INTERNAL', message: string, stage: Stage, details: Record<string, unknown>): never {
  throw new WireError(code, message, { ...details, [STAGE]: stage });
}

/** A handler's declared error goes on the wire under its own code, its data in details. */
function toWire(site: Site, error: unknown): unknown {
  if (!(error instanceof ContractError)) return error;
  const schema = site.member.errors[error.remoteCode];
  if (site.validateOutput && schema !== undefined) {
    try {
      const checked = check(schema, error.data);
      if (!(checked instanceof Promise) && !checked.ok) {
        site.logger.error(`'${site.wire}': error ${error.remoteCode} thrown with data that does not match the contract: ${describeIssues(checked.issues)}`, { method: site.wire });
        return new WireError('INTERNAL', `'${site.wire}': the service's error did not match its contract (the server logged why)`, { [STAGE]: 'output' satisfies Stage });
      }
    } catch (thrown) {
      return schemaThrew(site, 'output', thrown);
    }
  }
  return new WireError(error.remoteCode, error.message, { data: error.data });
}
