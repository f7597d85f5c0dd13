/**
 * `client()`: a typed proxy over `bus.request`, `request$`, `publish` and
 * `subscribe`. It adds nothing to a call beyond the name (and, opt-in,
 * validation before sending); what it adds is types, and the mapping of
 * the contract's failures back to their codes.
 */
import { BusError, consoleLogger, matchTopic, systemClock, type BusEvent, type Clock, type Headers, type Logger, type MessageBus, type PeerInfo, type PublishOptions, type RequestOptions } from '@pipebus/core';
import { checkKnownKeys, invalidArgument } from '@pipebus/core/transport-kit';
import { catchError, concatMap, defer, EMPTY, filter, from, map, mergeMap, Observable, of, throwError } from 'rxjs';
import { methodName, topicName, type Contract, type ContractShape, type EventKeys, type MethodKeys } from './contract.js';
import { ContractError, STAGE } from './errors.js';
import type { EventMember, RpcMethod, StreamMethod } from './methods.js';
import { check, describeIssues, type Checked, type StandardSchemaV1 } from './schema.js';
import type { ContractPattern, ContractTopic, EmitPayload, OnPayload } from './topics.js';
import { explainNoHandler } from './versions.js';

// Indexed access into the phantom types, not `infer`: cheap per method.
type Input<D extends RpcMethod | StreamMethod> = NonNullable<D['~types']>['input'];
type Output<D extends RpcMethod | StreamMethod> = NonNullable<D['~types']>['output'];
/** A method's arguments: the input may be left out when the method takes none. */
type CallArgs<I> = undefined extends I ? [input?: I, options?: RequestOptions] : [input: I, options?: RequestOptions];

/** The client-side function of one method. */
export type ClientMethod<D extends RpcMethod | StreamMethod> = D extends { readonly kind: 'stream' } ? (...args: CallArgs<Input<D>>) => Observable<Output<D>> : (...args: CallArgs<Input<D>>) => Promise<Output<D>>;

/** An event as a contract's subscriber receives it: the topic without the contract's prefix. */
export interface ContractEvent<T> {
  readonly topic: string;
  readonly payload: T;
  readonly headers: Headers | undefined;
  readonly peer: PeerInfo | undefined;
}

/** The events side of a client. */
export interface ContractEvents<M extends ContractShape> {
  /** Publishes `payload` on `topic`, which must match one of the contract's event patterns. */
  emit<T extends string>(topic: ContractTopic<M, T>, payload: EmitPayload<M, T>, options?: PublishOptions): Promise<void>;
  /** Events on a declared pattern (or a concrete topic matching one); payloads are validated where a schema is given. */
  on<T extends string>(pattern: ContractPattern<M, T>): Observable<ContractEvent<OnPayload<M, T>>>;
}

/** A typed client of contract `C`: one function per method, plus `emit` and `on`. */
export type ContractClient<C extends Contract> = { readonly [K in MethodKeys<C['members']>]: ClientMethod<Extract<C['members'][K], RpcMethod | StreamMethod>> } & ContractEvents<C['members']>;

/** Options of {@link client}. */
export interface ClientOptions {
  /** Validate input (and emitted payloads) before sending: a mismatch fails at once, `INVALID_ARGUMENT`, no frame sent. Default false. */
  readonly validateInput?: boolean;
  /** Where events dropped for failing their schema are reported. Default: the console. */
  readonly logger?: Logger;
  /**
   * The bus's clock, when it is not the system's (a virtual clock in tests):
   * a call that failed `NO_HANDLER` measures what is left of its timeout on
   * it, and times its describe lookup out on it. Default: `systemClock`.
   */
  readonly clock?: Clock;
}

const CLIENT_OPTION_KEYS: ReadonlySet<string> = new Set(['validateInput', 'logger', 'clock']);
/** A topic (within a contract's prefix) whose first token is a major's: `v2.changed`. */
const VERSIONED_TOPIC = /^v\d+(?:\.|$)/;

type ClientBus = Pick<MessageBus, 'request' | 'request$' | 'publish' | 'subscribe'>;

/**
 * A typed client of `c` over `bus`. Calls go to `${prefix}.${method}`;
 * events to `${prefix}.${topic}` (the prefix is `c.prefix`: the name, plus
 * `.v${major}` when versioned).
 *
 * A declared error rejects with a {@link ContractError} (check it with
 * `isContractError`); an input the server refused, `INVALID_ARGUMENT` with
 * `details.issues`; an answer that failed the server's output check,
 * `INTERNAL`. A call that finds no handler asks the same peer which
 * contracts it implements (`pipebus.describe`, one request shared by the
 * calls failing at the same time, waited for within what is left of the
 * call's timeout, at most 1 s, and the call's signal): when it serves this contract under
 * another major, or under this major without the method (an older minor),
 * the call rejects `CONTRACT_MISMATCH` saying what to deploy, with both
 * sides' versions, prefixes and fingerprints in `details`; otherwise
 * `NO_HANDLER` stands. Anything else as `bus.request` reports it.
 *
 * Events cannot fail that way: a subscriber of major 3 does not hear
 * publishers of major 2 (their topics differ). Check a peer with
 * {@link checkContract} or `describeRemote`.
 */
export function client<C extends Contract>(bus: ClientBus, c: C, options: ClientOptions = {}): ContractClient<C> {
  checkKnownKeys(`client('${c.name}')`, options, CLIENT_OPTION_KEYS);
  const validateInput = options.validateInput === true;
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw invalidArgument(`client('${c.name}'): options.clock must be a Clock ({ now, setTimeout, clearTimeout }), such as the bus's`);
  }
  const members = c.members as ContractShape;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(members)) {
    if (member.kind === 'event') continue;
    const site: CallSite = { c, key, wire: methodName(c, key), member, validateInput, clock, failed: (error) => failure(bus, site, error, undefined, undefined) };
    out[key] = member.kind === 'rpc' ? (input?: unknown, o?: RequestOptions) => callRpc(bus, site, input, o) : (input?: unknown, o?: RequestOptions) => callStream(bus, site, input, o);
  }
  out.emit = (topic: string, payload: unknown, o?: PublishOptions) => emit(bus, c, validateInput, topic, payload, o);
  out.on = (pattern: string) => on(bus, c, logger, pattern);
  return Object.freeze(out) as ContractClient<C>;
}

interface CallSite {
  readonly c: Contract;
  readonly key: string;
  readonly wire: string;
  readonly member: RpcMethod | StreamMethod;
  readonly validateInput: boolean;
  readonly clock: Clock;
  /** What a call without options does with a failure; made once per method, so that such a call allocates no closure for it. */
  readonly failed: (error: unknown) => Promise<never>;
}

/** When the call starts, read only when it has its own timeout (see CallTiming). */
function startOf(site: CallSite, options: RequestOptions | undefined): number | undefined {
  return options?.timeout === undefined ? undefined : site.clock.now();
}

// The hot path: without client-side validation and options, a call is
// bus.request plus one reaction that maps a failure, and makes no closure.
function callRpc(bus: ClientBus, site: CallSite, input: unknown, options: RequestOptions | undefined): Promise<unknown> {
  if (!site.validateInput || site.member.input === undefined) return send(bus, site, input, options);
  try {
    const payload = checkInput(site.wire, site.member.input, input);
    // A synchronous schema sends at once, as an unchecked call does (same tick, same order of frames).
    if (!(payload instanceof Promise)) return send(bus, site, payload, options);
    return payload.then((value) => send(bus, site, value, options));
  } catch (error) {
    // A call reports every failure through its promise, as bus.request does.
    return Promise.reject(error);
  }
}

function callStream(bus: ClientBus, site: CallSite, input: unknown, options: RequestOptions | undefined): Observable<unknown> {
  const schema = site.validateInput ? site.member.input : undefined;
  let startedAt: number | undefined;
  const open = (payload: unknown): Observable<unknown> =>
    defer(() => {
      startedAt = startOf(site, options);
      return bus.request$(site.wire, payload, options);
    });
  const values = schema === undefined ? open(input) : defer(() => from(Promise.resolve(checkInput(site.wire, schema, input)))).pipe(mergeMap(open));
  return values.pipe(catchError((error: unknown) => from(failure(bus, site, error, options, startedAt).catch((e: unknown) => e)).pipe(mergeMap((e) => throwError(() => e)))));
}

/** A rejection with what the call's failure means for the contract (which may take a describe round trip, or an async error schema). */
function failure(bus: ClientBus, site: CallSite, error: unknown, options: RequestOptions | undefined, startedAt: number | undefined): Promise<never> {
  const meaning = BusError.is(error, 'NO_HANDLER') ? explainNoHandler(bus, site.c, site.key, error, options, { clock: site.clock, startedAt }) : received(site, error);
  return Promise.resolve(meaning).then((e) => Promise.reject(e));
}

/** Sends one call; a failure gets its contract meaning. Without options no closure is made (the common hot path). */
function send(bus: ClientBus, site: CallSite, payload: unknown, options: RequestOptions | undefined): Promise<unknown> {
  if (options === undefined) return bus.request(site.wire, payload).then(undefined, site.failed);
  const startedAt = startOf(site, options);
  return bus.request(site.wire, payload, options).then(undefined, (error: unknown) => failure(bus, site, error, options, startedAt));
}

/** Validates before sending; the issues are the caller's to fix, so they are in the error. */
function checkInput(what: string, schema: StandardSchemaV1, value: unknown): unknown {
  const checked = check(schema, value);
  const unwrap = (c: Checked): unknown => {
    if (c.ok) return c.value;
    throw invalidArgument(`'${what}': invalid input: ${describeIssues(c.issues)} (checked before sending)`, { issues: c.issues });
  };
  return checked instanceof Promise ? checked.then(unwrap) : unwrap(checked);
}

/**
 * Gives a failure its contract meaning: the layer's own checks on the
 * server come back under their code, and a declared error becomes a
 * {@link ContractError} once its data passes the declared schema.
 */
function received(site: CallSite, error: unknown): unknown {
  if (!BusError.is(error, 'REMOTE_ERROR') || error.remoteCode === undefined) return error;
  const details = error.details ?? {};
  const stage = details[STAGE];
  if (stage !== undefined && (error.remoteCode === 'INVALID_ARGUMENT' || error.remoteCode === 'INTERNAL')) {
    const { remoteMessage, [STAGE]: _stage, ...rest } = details;
    return new BusError(error.remoteCode, typeof remoteMessage === 'string' ? remoteMessage : error.message, { details: { ...rest, stage }, cause: error });
  }
  const code = error.remoteCode;
  if (!Object.prototype.hasOwnProperty.call(site.member.errors, code)) return error;
  const schema = site.member.errors[code];
  const make = (data: unknown): ContractError => new ContractError(site.c.name, site.key, code, data, error.message, details);
  if (schema === undefined) return make(details.data);
  let checked: Checked | Promise<Checked>;
  try {
    checked = check(schema, details.data);
  } catch {
    return error;
  }
  // Data that does not match the declared schema is not that error: it stays a plain REMOTE_ERROR, with the issues.
  const finish = (c: Checked): unknown => (c.ok ? make(c.value) : new BusError('REMOTE_ERROR', `${error.message} (its data does not match the contract: ${describeIssues(c.issues)})`, { remoteCode: code, details: { ...details, issues: c.issues }, cause: error }));
  return checked instanceof Promise ? checked.then(finish, () => error) : finish(checked);
}

function emit(bus: ClientBus, c: Contract, validate: boolean, topic: string, payload: unknown, options: PublishOptions | undefined): Promise<void> {
  const member = findEvent(c, topic);
  if (member === undefined) return Promise.reject(invalidArgument(`'${c.name}': topic '${topic}' matches no event of the contract`, { topic }));
  const send = (value: unknown): Promise<void> => bus.publish(topicName(c, topic), value, options);
  if (!validate || member.payload === undefined) return send(payload);
  try {
    return Promise.resolve(checkInput(`${c.name}: ${topic}`, member.payload, payload)).then(send);
  } catch (error) {
    return Promise.reject(error);
  }
}

function on(bus: ClientBus, c: Contract, logger: Logger, pattern: string): Observable<ContractEvent<unknown>> {
  const members = c.members as ContractShape;
  const declared = members[pattern];
  const member = declared?.kind === 'event' ? declared : findEvent(c, pattern);
  if (member === undefined) throw invalidArgument(`'${c.name}': '${pattern}' is neither an event pattern of the contract nor a topic matching one`, { pattern });
  const prefix = c.prefix.length + 1;
  const mapped = bus.subscribe(topicName(c, pattern)).pipe(map((e: BusEvent<unknown>): ContractEvent<unknown> => ({ topic: e.topic.slice(prefix), payload: e.payload, headers: e.headers, peer: e.peer })));
  // An unversioned contract's pattern starting with a wildcard also matches
  // `inventory.v2.…`: the topics of a versioned contract of the same name
  // (contract() keeps its own events off a first `v<digits>` token).
  const wildFirst = pattern === '>' || pattern === '*' || pattern.startsWith('*.');
  const events = c.version === undefined && wildFirst ? mapped.pipe(filter((e) => !VERSIONED_TOPIC.test(e.topic))) : mapped;
  const schema = member.payload;
  if (schema === undefined) return events;
  return events.pipe(
    concatMap((e) => {
      const drop = (why: string): Observable<never> => {
        logger.warn(`'${c.name}': dropped an event on '${e.topic}': ${why}`, { contract: c.name, topic: e.topic, peer: e.peer?.id });
        return EMPTY;
      };
      let checked: Checked | Promise<Checked>;
      try {
        checked = check(schema, e.payload);
      } catch (error) {
        return drop(`its schema threw: ${String(error)}`);
      }
      const keep = (r: Checked): Observable<ContractEvent<unknown>> => (r.ok ? of({ ...e, payload: r.value }) : drop(`payload does not match the contract: ${describeIssues(r.issues)}`));
      return checked instanceof Promise ? from(checked).pipe(mergeMap(keep)) : keep(checked);
    }),
  );
}

/** The declared event a concrete topic falls under (the first matching pattern). */
function findEvent(c: Contract, topic: string): EventMember | undefined {
  for (const [key, member] of Object.entries(c.members as ContractShape)) {
    if (member.kind === 'event' && (key === topic || matchTopic(key, topic))) return member;
  }
  return undefined;
}
