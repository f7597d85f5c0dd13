import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { checkContract, client, contract, event, implement, rpc, stream, type StandardSchemaV1 } from '@pipebus/contract';
import { MockNetwork } from '@pipebus/transport-mock';
import { forkTs, nextMessage, thrown } from '@pipebus/test-support';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { z } from 'zod';
import { busPair, rejection } from './helpers.js';
import { handlers2, handlers3, Inventory21, Inventory23, Inventory30 } from './fixtures/versions.js';

describe('the wire prefix', () => {
  it('puts the major in the prefix of a versioned contract, and keeps the name alone otherwise', () => {
    expect(contract('inventory', { get: rpc() }).prefix).toBe('inventory');
    expect(contract('acme.inventory', { version: '2.1.0' }, { get: rpc() }).prefix).toBe('acme.inventory.v2');
    expect(contract('inventory', { version: '0.3.1-beta.1' }, { get: rpc() }).prefix).toBe('inventory.v0');
  });

  it.each<[string, () => unknown, RegExp]>([
    ['a name ending in a major token', () => contract('inventory.v2', { get: rpc() }), /may not end in a version token \('v2'\).*contract\('inventory', \{ version: '2\.0\.0' \}/],
    ["the bus's own name", () => contract('pipebus', { get: rpc() }), /names under 'pipebus' are the bus's own/],
    ["a name under the bus's own", () => contract('pipebus.tools', { get: rpc() }), /names under 'pipebus' are the bus's own/],
    ['a version with a leading zero', () => contract('inv', { version: '02.1.0' }, { get: rpc() }), /version must be a semantic version/],
    ["an unversioned event among a major's topics", () => contract('inv', { 'v2.stock': event() }), /event 'v2\.stock' would be published among the topics of version 2/],
  ])('refuses %s with INVALID_ARGUMENT', (_what, define, message) => {
    const error = thrown(define, BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('serves and publishes under the prefix: plain bus calls and subscriptions reach it there', async () => {
    const pair = await busPair();
    try {
      implement(pair.server, Inventory21, handlers2);
      await expect(pair.client.request('inventory.v2.reserve', { sku: 'A', qty: 1 })).resolves.toEqual({ id: 'v2-A' });
      await expect(pair.client.request('inventory.reserve', { sku: 'A', qty: 1 })).rejects.toMatchObject({ code: 'NO_HANDLER' });
      const heard = firstValueFrom(pair.server.subscribe('inventory.v2.stock.*.changed'));
      const seen = firstValueFrom(client(pair.server, Inventory21).on('stock.*.changed'));
      await client(pair.client, Inventory21).emit('stock.eu.changed', { sku: 'A' });
      expect((await heard).topic).toBe('inventory.v2.stock.eu.changed');
      expect((await seen).topic).toBe('stock.eu.changed');
    } finally {
      await pair.close();
    }
  });
});

describe('the fingerprint', () => {
  const define = (qty: StandardSchemaV1 = z.number(), order: 'ab' | 'ba' = 'ab') => {
    const a = rpc({ input: z.object({ sku: z.string(), qty }), errors: { GONE: z.string(), BUSY_NOW: z.number() } });
    const b = stream<string, number>();
    return contract('inv', { version: '1.0.0' }, order === 'ab' ? { a, b } : { b, a });
  };

  it('is 16 hex chars, the same for the same shape, and another when one field changes', () => {
    const one = define();
    expect(one.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(one.fingerprint).toBe(one.fingerprint);
    expect(define().fingerprint).toBe(one.fingerprint);
    expect(define(z.string()).fingerprint).not.toBe(one.fingerprint);
    expect(define(z.number().int()).fingerprint).not.toBe(one.fingerprint);
    expect(define(z.number(), 'ba').fingerprint).toBe(one.fingerprint);
    const errorsSwapped = contract('inv', { version: '1.0.0' }, { a: rpc({ input: z.object({ sku: z.string(), qty: z.number() }), errors: { BUSY_NOW: z.number(), GONE: z.string() } }), b: stream<string, number>() });
    expect(errorsSwapped.fingerprint).toBe(one.fingerprint);
    // Name and version are not in it: a patch release with the same shape has the same fingerprint.
    expect(contract('other', { version: '1.0.1' }, one.members).fingerprint).toBe(one.fingerprint);
    expect(contract('inv', { a: rpc(), b: stream() }).fingerprint).not.toBe(one.fingerprint);
  });

  it('is computed on first read, not at definition, and once', () => {
    let conversions = 0;
    const counted: StandardSchemaV1<string> = {
      '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: String(value) }), jsonSchema: { input: () => (conversions++, { type: 'string' }), output: () => ({ type: 'string' }) } } as StandardSchemaV1<string>['~standard'],
    };
    const c = contract('lazy', { get: rpc({ input: counted }) });
    expect(conversions).toBe(0);
    const first = c.fingerprint;
    expect(c.fingerprint).toBe(first);
    expect(conversions).toBe(1);
  });

  it('is read by implement() on the next turn of the event loop, before any peer asks for it', async () => {
    let conversions = 0;
    const counted: StandardSchemaV1<string> = {
      '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: String(value) }), jsonSchema: { input: () => (conversions++, { type: 'string' }), output: () => ({ type: 'string' }) } } as StandardSchemaV1<string>['~standard'],
    };
    const c = contract('warm', { get: rpc({ input: counted }) });
    const handlers: string[] = [];
    const stop = implement({ handle: (method: string) => (handlers.push(method), () => undefined) }, c, { get: () => undefined });
    expect(handlers).toEqual(['warm.get', 'pipebus.describe']);
    expect(conversions).toBe(0);
    // A 0 ms timer set after implement()'s own fires after it: timers keep their order.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(conversions).toBe(1);
    stop();
  });

  it('is the same in another process from the same source, and stable across releases for a typed-only contract', async () => {
    const child = forkTs(join(__dirname, 'fixtures', 'print-fingerprints.ts'), []);
    try {
      const message = await nextMessage(child, (m): m is { fingerprints: string[] } => typeof m === 'object' && m !== null && 'fingerprints' in m);
      expect(message.fingerprints).toEqual([Inventory21.fingerprint, Inventory23.fingerprint, Inventory30.fingerprint, contract('calc', { add: rpc<[number, number], number>(), tick: event<number>() }).fingerprint]);
    } finally {
      child.kill();
    }
    // A typed-only contract's shape involves no schema library: its hash is pinned (FNV-1a 64 of
    // [{"errors":[],"input":null,"key":"add","kind":"rpc","output":null},{"key":"tick","kind":"event","payload":null}]),
    // so a change of the algorithm shows.
    expect(contract('calc', { add: rpc<[number, number], number>(), tick: event<number>() }).fingerprint).toBe('25ea8162468fc843');
  });
});

describe('a call across versions', () => {
  let network: MockNetwork;
  let server: MessageBus;
  let bus: MessageBus;
  beforeEach(async () => {
    network = new MockNetwork({ seed: 1 });
    server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger, name: 'server' });
    bus = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger, name: 'client' });
    await server.start();
    await bus.start();
  });
  afterEach(async () => {
    await bus.close();
    await server.close();
  });

  it('fails CONTRACT_MISMATCH, saying what to deploy, when the service implements another major (calls and streams)', async () => {
    implement(server, Inventory21, handlers2);
    const v3 = client(bus, Inventory30);
    const error = await rejection(v3.reserve({ sku: 'A', lines: [] }));
    expect(error).toBeInstanceOf(BusError);
    expect(error).toMatchObject({
      code: 'CONTRACT_MISMATCH',
      message: "'inventory.v3.reserve': the service implements inventory 2.1.0 (inventory.v2.*); this client was built against inventory 3.0.0 (inventory.v3.*): deploy the 3.x service or use the 2.x contract",
      details: {
        contract: 'inventory',
        methods: ['reserve'],
        local: { version: '3.0.0', prefix: 'inventory.v3', fingerprint: Inventory30.fingerprint },
        remote: [{ version: '2.1.0', prefix: 'inventory.v2', fingerprint: Inventory21.fingerprint }],
      },
    });
    expect((error as BusError).cause).toMatchObject({ code: 'NO_HANDLER' });
    await expect(firstValueFrom(v3.watch('ACME'))).rejects.toMatchObject({ code: 'CONTRACT_MISMATCH' });
    const unversioned = client(bus, contract('inventory', { reserve: rpc<{ sku: string }, { id: string }>() }));
    await expect(unversioned.reserve({ sku: 'A' })).rejects.toMatchObject({ code: 'CONTRACT_MISMATCH', message: expect.stringMatching(/this client was built against inventory without a version \(inventory\.\*\): give this contract the service's version \(2\.1\.0\)/) });
  });

  it('fails CONTRACT_MISMATCH when a client of a later minor calls a method the service does not have yet', async () => {
    implement(server, Inventory21, handlers2);
    const error = await rejection(client(bus, Inventory23).audit());
    expect(error).toMatchObject({
      code: 'CONTRACT_MISMATCH',
      message: "'inventory.v2.audit': the service implements inventory 2.1.0 (inventory.v2.*) without 'audit'; this client was built against inventory 2.3.0 (inventory.v2.*): deploy a service of inventory 2.3.0 or newer, or do not call 'audit' there",
      details: { local: { version: '2.3.0' }, remote: [{ version: '2.1.0' }], methods: ['audit'] },
    });
    // The methods both minors have work across them.
    await expect(client(bus, Inventory23).reserve({ sku: 'A', qty: 1 })).resolves.toEqual({ id: 'v2-A' });
  });

  it('leaves NO_HANDLER as it was when the peer implements no contract, not this one, or does not answer', async () => {
    const plain = await rejection(bus.request('inventory.v3.reserve', {}));
    const none = await rejection(client(bus, Inventory30).reserve({ sku: 'A', lines: [] }));
    expect(none).toMatchObject({ code: 'NO_HANDLER', message: (plain as BusError).message });
    implement(server, contract('billing', { version: '3.0.0' }, { pay: rpc() }), { pay: () => undefined });
    await expect(client(bus, Inventory30).reserve({ sku: 'A', lines: [] })).rejects.toMatchObject({ code: 'NO_HANDLER' });
  });

  it('waits for the describe answer at most 1 s (or the call timeout), then gives the NO_HANDLER', async () => {
    server.handle('pipebus.describe', () => new Promise(() => undefined));
    let settled: unknown;
    const call = client(bus, Inventory30)
      .reserve({ sku: 'A', lines: [] })
      .catch((e: unknown) => (settled = e));
    await network.clock.advance(999);
    expect(settled).toBeUndefined();
    await network.clock.advance(1);
    await call;
    expect(settled).toMatchObject({ code: 'NO_HANDLER' });
    const short = client(bus, Inventory30)
      .reserve({ sku: 'A', lines: [] }, { timeout: 200 })
      .catch((e: unknown) => e);
    await network.clock.advance(200);
    await expect(short).resolves.toMatchObject({ code: 'NO_HANDLER' });
  });

  it('checkContract resolves the peer version and whether its shape is exactly this one', async () => {
    implement(server, Inventory23, { ...handlers2, audit: () => [] });
    await expect(checkContract(bus, Inventory23)).resolves.toEqual({ version: '2.3.0', fingerprint: Inventory23.fingerprint, exact: true });
    await expect(checkContract(bus, Inventory21)).resolves.toEqual({ version: '2.3.0', fingerprint: Inventory23.fingerprint, exact: false });
    // The same version with another shape: a change made without a version bump.
    const drifted = contract('inventory', { version: '2.3.0' }, { ...Inventory23.members, watch: stream({ input: z.string(), output: z.number() }) });
    await expect(checkContract(bus, drifted)).resolves.toMatchObject({ version: '2.3.0', exact: false });
  });

  it('checkContract rejects CONTRACT_MISMATCH for another major, missing methods, or a peer without the contract', async () => {
    const stop = implement(server, Inventory21, handlers2);
    await expect(checkContract(bus, Inventory30)).rejects.toMatchObject({ code: 'CONTRACT_MISMATCH', message: expect.stringMatching(/^the peer implements inventory 2\.1\.0 \(inventory\.v2\.\*\); .*deploy the 3\.x service or use the 2\.x contract$/) });
    await expect(checkContract(bus, Inventory23)).rejects.toMatchObject({ code: 'CONTRACT_MISMATCH', message: expect.stringMatching(/without 'audit'/), details: { methods: ['audit'] } });
    implement(server, contract('billing', { pay: rpc() }), { pay: () => undefined });
    stop();
    await expect(checkContract(bus, Inventory21)).rejects.toMatchObject({ code: 'CONTRACT_MISMATCH', message: 'the peer does not implement inventory; connect to a service of inventory 2.1.0 (inventory.v2.*)' });
  });

  it('implements two majors side by side, each client reaching its own', async () => {
    implement(server, Inventory21, handlers2);
    implement(server, Inventory30, handlers3);
    await expect(client(bus, Inventory21).reserve({ sku: 'A', qty: 1 })).resolves.toEqual({ id: 'v2-A' });
    await expect(client(bus, Inventory30).reserve({ sku: 'A', lines: [] })).resolves.toEqual({ id: 'v3-A' });
    await expect(checkContract(bus, Inventory30)).resolves.toMatchObject({ version: '3.0.0', exact: true });
  });
});

describe('an unversioned contract beside a versioned one of the same name', () => {
  it("does not hear the versioned contract's topics through a pattern starting with a wildcard", async () => {
    const pair = await busPair();
    try {
      const Old = contract('inventory', { '*.changed': event<{ n: number }>(), '>': event<unknown>() });
      const New = contract('inventory', { version: '2.0.0' }, { changed: event<{ totally: string }>() });
      const star = firstValueFrom(client(pair.server, Old).on('*.changed').pipe(take(1), toArray()));
      const rest = firstValueFrom(client(pair.server, Old).on('>').pipe(take(1), toArray()));
      await client(pair.client, New).emit('changed', { totally: 'different' });
      await client(pair.client, Old).emit('a.changed', { n: 1 });
      expect((await star).map((e) => e.topic)).toEqual(['a.changed']);
      expect((await rest).map((e) => e.topic)).toEqual(['a.changed']);
    } finally {
      await pair.close();
    }
  });
});
