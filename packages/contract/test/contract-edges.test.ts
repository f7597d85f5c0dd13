import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BusError, type MessageBus } from '@pipebus/core';
import { client, contract, ContractError, contractError, event, implement, isContractError, rpc, stream, type StandardSchemaV1 } from '@pipebus/contract';
import { thrown } from '@pipebus/test-support';
import { firstValueFrom, from, lastValueFrom, tap, toArray } from 'rxjs';
import { z } from 'zod';
import { busPair, recordingLogger, rejection } from './helpers.js';

/** A hand-written Standard Schema: async, or throwing, as some libraries' refinements are. */
function schema<T>(validate: (value: unknown) => StandardSchemaV1.Result<T> | Promise<StandardSchemaV1.Result<T>>): StandardSchemaV1<T> {
  return { '~standard': { version: 1, vendor: 'test', validate } };
}

describe('contract definition', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['a bad contract name', () => contract('in ventory', { a: rpc() }), /contract\(\): name must be dot-separated identifiers/],
    ['a method name with a dot', () => contract('inv', { 'a.b': rpc() }), /method name 'a\.b' must be an identifier/],
    ['a reserved method name', () => contract('inv', { emit: rpc() }), /method name 'emit' is reserved/],
    ['a bad event pattern', () => contract('inv', { 'a.>.b': event() }), /event 'a\.>\.b' is not a valid topic pattern/],
    ['a member not made by rpc/stream/event', () => contract('inv', { a: { kind: 'rpc' } as never }), /'a' must be made by rpc\(\), stream\(\) or event\(\)/],
    ['a non-schema input', () => rpc({ input: { parse: () => 1 } as never }), /rpc\(\): input is not a Standard Schema v1/],
    ['a non-schema error data', () => stream({ errors: { E: 5 as never } }), /stream\(\): errors\.E is not a Standard Schema v1/],
    ['a non-schema event payload', () => event({ payload: 'x' as never }), /event\(\): payload is not a Standard Schema v1/],
    ['an unknown key', () => rpc({ inptu: z.string() } as never), /rpc\(\): unknown key 'inptu'/],
    ["a bus's own error code", () => rpc({ errors: { TIMEOUT: z.string() as never } }), /error code 'TIMEOUT' is the bus's own/],
    ['a bad version', () => contract('inv', { version: 'two' }, { a: rpc() }), /version must be a semantic version such as '2\.1\.0'/],
    ['a misspelt option', () => contract('inv', { verison: '1.0.0' } as never, { a: rpc() }), /unknown option 'options\.verison'; did you mean 'version'\?/],
    ['no members', () => contract('inv', {}), /has no members/],
  ])('refuses %s with INVALID_ARGUMENT', (_what, define, message) => {
    const error = thrown(define, BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('is a frozen plain value', () => {
    const c = contract('acme.inv', { version: '1.2.3' }, { get: rpc<string, number>(), 'item.*': event<string>() });
    expect(Object.isFrozen(c) && Object.isFrozen(c.members) && Object.isFrozen(c.members.get)).toBe(true);
    expect(c).toMatchObject({ name: 'acme.inv', version: '1.2.3' });
  });
});

describe('implement and client', () => {
  let pair: { server: MessageBus; client: MessageBus; close(): Promise<void> };
  beforeEach(async () => {
    pair = await busPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  const Calc = contract('calc', {
    double: rpc({ input: z.number(), output: z.number() }),
    count: stream<number, number>(),
    'calc.done': event<number>(),
  });

  it('refuses missing and extra handlers at runtime, naming them', () => {
    const error = thrown(() => implement(pair.server, Calc, { double: (n: number) => n * 2, triple: () => 0 } as never), BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe("implement('calc'): missing handler(s) 'count'; handler(s) not in the contract 'triple'");
    expect(error.details).toEqual({ missing: ['count'], extra: ['triple'] });
  });

  it('implements a contract once per bus, and its stop function unregisters every method', async () => {
    const stop = implement(pair.server, Calc, { double: (n) => n * 2, count: async () => 1 });
    expect(thrown(() => implement(pair.server, Calc, { double: (n) => n, count: async () => 1 }), BusError).code).toBe('INVALID_ARGUMENT');
    stop();
    await expect(client(pair.client, Calc).double(2)).rejects.toMatchObject({ code: 'NO_HANDLER' });
    implement(pair.server, Calc, { double: (n) => n * 3, count: async () => 1 });
    await expect(client(pair.client, Calc).double(2)).resolves.toBe(6);
  });

  it('streams from an AsyncIterable and from a Promise', async () => {
    async function* upTo(n: number): AsyncGenerator<number> {
      for (let i = 1; i <= n; i++) yield i;
    }
    const stop = implement(pair.server, Calc, { double: (n) => n * 2, count: (n) => upTo(n) });
    const calc = client(pair.client, Calc);
    await expect(firstValueFrom(calc.count(3).pipe(toArray()))).resolves.toEqual([1, 2, 3]);
    stop();
    implement(pair.server, Calc, { double: (n) => n * 2, count: async (n) => n });
    await expect(firstValueFrom(calc.count(7).pipe(toArray()))).resolves.toEqual([7]);
  });

  it('reports a schema that throws as INTERNAL, logs it, and keeps serving', async () => {
    let explode = true;
    const Fragile = contract('fragile', {
      get: rpc({ input: schema<string>((value) => {
        if (explode) throw new TypeError('refinement bug');
        return { value: String(value) };
      }), output: z.string() }),
    });
    const logger = recordingLogger();
    implement(pair.server, Fragile, { get: (s) => s.toUpperCase() }, { logger });
    const fragile = client(pair.client, Fragile);
    const error = await rejection(fragile.get('a'));
    expect(error).toMatchObject({ code: 'INTERNAL', message: "'fragile.get': the service's input schema failed (the server logged why)" });
    expect(logger.lines).toEqual(["'fragile.get': the input schema threw instead of returning issues"]);
    explode = false;
    await expect(fragile.get('a')).resolves.toBe('A');
  });

  it('awaits an async schema, and uses its output (transforms apply)', async () => {
    const Async = contract('async', {
      len: rpc({
        input: schema<number>(async (value) => (typeof value === 'string' ? { value: value.length } : { issues: [{ message: 'expected a string', path: [{ key: 'text' }] }] })),
        output: z.number(),
      }),
    });
    implement(pair.server, Async, { len: (n) => n + 1 });
    const c = client(pair.client, Async, { validateInput: false });
    await expect(c.len(3 as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'text', message: 'expected a string' }] } });
    await expect(pair.client.request('async.len', 'four')).resolves.toBe(5);
  });

  const Shop = contract('shop', {
    buy: rpc({ input: z.string(), output: z.string(), errors: { SOLD_OUT: z.object({ left: z.number() }) } }),
    prices: stream({ input: z.string(), output: z.number() }),
  });

  it('gives a declared error whose data fails its schema as a plain REMOTE_ERROR with the issues, or INTERNAL when the server checks output', async () => {
    const handlers = {
      buy: () => Promise.reject(contractError(Shop, 'buy', 'SOLD_OUT', { left: 'none' } as unknown as { left: number })),
      prices: async () => 1,
    };
    const stop = implement(pair.server, Shop, handlers);
    const shop = client(pair.client, Shop);
    const error = await rejection(shop.buy('a'));
    expect(error).not.toBeInstanceOf(ContractError);
    expect(error).toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'SOLD_OUT', details: { data: { left: 'none' }, issues: [{ path: 'left' }] } });
    stop();
    const logger = recordingLogger();
    implement(pair.server, Shop, handlers, { validateOutput: true, logger });
    await expect(shop.buy('a')).rejects.toMatchObject({ code: 'INTERNAL', message: "'shop.buy': the service's error did not match its contract (the server logged why)" });
    expect(logger.lines).toEqual([expect.stringMatching(/^'shop\.buy': error SOLD_OUT thrown with data that does not match the contract: left: /)]);
  });

  it('rejects with the declared error, not a Promise, when its data schema is async', async () => {
    const Async = contract('asyncerr', { buy: rpc({ errors: { SOLD_OUT: schema<number>(async (value) => ({ value: Number(value) })) } }) });
    implement(pair.server, Async, { buy: () => Promise.reject(contractError(Async, 'buy', 'SOLD_OUT', 3)) });
    // Not rejection(): an async function returning a Promise adopts it, which would hide the bug.
    let error: unknown;
    await client(pair.client, Async)
      .buy()
      .catch((e: unknown) => void (error = e));
    expect(error).toBeInstanceOf(ContractError);
    expect(isContractError(error, Async, 'buy', 'SOLD_OUT') && error.data).toBe(3);
  });

  it('sends a call its synchronous schema checked on the client at once, in call order with unchecked calls', async () => {
    const Log = contract('log', { checked: rpc({ input: z.string(), output: z.string() }), unchecked: rpc<string, string>() });
    const seen: string[] = [];
    const keep = (s: string): string => (seen.push(s), s);
    implement(pair.server, Log, { checked: keep, unchecked: keep });
    const log = client(pair.client, Log, { validateInput: true });
    await expect(Promise.all([log.checked('1'), log.unchecked('2'), log.checked('3')])).resolves.toEqual(['1', '2', '3']);
    expect(seen).toEqual(['1', '2', '3']);
  });

  it('checks each streamed value when asked: the stream ends with INTERNAL at the first wrong one', async () => {
    const logger = recordingLogger();
    implement(pair.server, Shop, { buy: (s) => s, prices: () => from([1, 2, 'three' as unknown as number, 4]) }, { validateOutput: true, logger });
    const seen: number[] = [];
    const error = await rejection(lastValueFrom(client(pair.client, Shop).prices('x').pipe(tap((v) => seen.push(v)))));
    expect(seen).toEqual([1, 2]);
    expect(error).toMatchObject({ code: 'INTERNAL' });
    expect(logger.lines).toHaveLength(1);
  });

  it('recognises a declared error made by another copy of the package (its ESM and CommonJS builds)', () => {
    class OtherCopy extends BusError {
      readonly data = { left: 0 };
      readonly contract = 'shop';
      readonly method = 'buy';
      constructor() {
        super('REMOTE_ERROR', 'sold out', { remoteCode: 'SOLD_OUT' });
      }
    }
    Object.defineProperty(OtherCopy.prototype, Symbol.for('pipebus.ContractError'), { value: true });
    expect(isContractError(new OtherCopy(), Shop, 'buy', 'SOLD_OUT')).toBe(true);
    expect(isContractError(new BusError('REMOTE_ERROR', 'sold out', { remoteCode: 'SOLD_OUT' }), Shop, 'buy', 'SOLD_OUT')).toBe(false);
  });

  it('refuses an emit on a topic the contract does not declare', async () => {
    const calc = client(pair.client, Calc);
    await expect(calc.emit('calc.other' as never, 1 as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: "'calc': topic 'calc.other' matches no event of the contract" });
    expect(thrown(() => calc.on('nope' as never), BusError).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses misspelt options of implement and client', () => {
    expect(thrown(() => implement(pair.server, Calc, { double: (n) => n, count: async () => 1 }, { validateOuput: true } as never), BusError).message).toMatch(/did you mean 'validateOutput'/);
    expect(thrown(() => client(pair.client, Calc, { validate: true } as never), BusError).message).toMatch(/unknown option 'options\.validate'/);
  });
});

describe('implement with a queue group', () => {
  const Jobs = contract('jobs', { run: rpc<number, number>(), watch: stream<number, number>() });
  const handlers = { run: (n: number) => n, watch: async (n: number) => n };

  it("passes { queue } to every method's bus.handle, not to pipebus.describe, and nothing when not given", () => {
    const seen: Array<[string, unknown[]]> = [];
    const recording = { handle: (method: string, ...rest: unknown[]) => (seen.push([method, rest.slice(1)]), () => undefined) } as unknown as Pick<MessageBus, 'handle'>;
    const stop = implement(recording, Jobs, handlers, { queue: 'workers' });
    expect(seen).toEqual([
      ['jobs.run', [{ queue: 'workers' }]],
      ['jobs.watch', [{ queue: 'workers' }]],
      ['pipebus.describe', []],
    ]);
    stop();
    seen.length = 0;
    const other = { handle: recording.handle } as Pick<MessageBus, 'handle'>;
    implement(other, Jobs, handlers)();
    expect(seen.map(([, rest]) => rest)).toEqual([[], [], []]);
  });

  it('fails NOT_SUPPORTED on a transport without queue groups, leaving no handler behind', async () => {
    const pair = await busPair();
    try {
      const error = thrown(() => implement(pair.server, Jobs, handlers, { queue: 'workers' }), BusError);
      expect(error.code).toBe('NOT_SUPPORTED');
      expect(error.message).toMatch(/handle\('jobs\.run'\): queue groups need a transport that load-balances/);
      implement(pair.server, Jobs, handlers);
      await expect(client(pair.client, Jobs).run(7)).resolves.toBe(7);
    } finally {
      await pair.close();
    }
  });
});
