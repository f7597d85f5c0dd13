import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BusError, type MessageBus } from '@pipebus/core';
import { client, contractError, implement, isContractError, ContractError, type ContractHandlers } from '@pipebus/contract';
import { firstValueFrom, NEVER, Observable, take, toArray } from 'rxjs';
import { arktypeSchemas, inventory, valibotSchemas, zodSchemas, type Inventory, type InventorySchemas } from './fixtures/inventory.js';
import { busPair, recordingLogger, rejection } from './helpers.js';

// The same behaviours, once per Standard Schema library: what differs between
// them (issue paths, sync vs async validate, transforms) is what must not leak.
describe.each<[string, InventorySchemas]>([
  ['zod 4', zodSchemas],
  ['valibot 1', valibotSchemas],
  ['arktype 2', arktypeSchemas],
])('a contract with %s schemas', (_library, schemas) => {
  const Inv = inventory(schemas);
  let pair: { server: MessageBus; client: MessageBus; close(): Promise<void> };
  const handlers: ContractHandlers<Inventory> = {
    reserve: async (req) => {
      if (req.sku === 'none') throw contractError(Inv, 'reserve', 'OUT_OF_STOCK', { sku: req.sku, left: 0 });
      return { id: `${req.sku}-${req.items.length}` };
    },
    watch: (sym) => new Observable((s) => s.next({ sym, price: 1 })),
    ping: (s) => s.length,
  };
  beforeEach(async () => {
    pair = await busPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  it('answers a valid call, and plain bus.request reaches the same method', async () => {
    implement(pair.server, Inv, handlers);
    const inv = client(pair.client, Inv);
    await expect(inv.reserve({ sku: 'A', items: [{ qty: 1 }] })).resolves.toEqual({ id: 'A-1' });
    await expect(inv.ping('four')).resolves.toBe(4);
    await expect(pair.client.request('inventory.v1.reserve', { sku: 'B', items: [] })).resolves.toEqual({ id: 'B-0' });
  });

  it('refuses invalid input on the server with INVALID_ARGUMENT naming the field, before the handler runs', async () => {
    let ran = false;
    implement(pair.server, Inv, { ...handlers, reserve: async () => ((ran = true), { id: 'x' }) });
    const inv = client(pair.client, Inv);
    const error = await rejection(inv.reserve({ sku: 'A', items: [{ qty: 1 }, { qty: -2 }] }));
    expect(error).toBeInstanceOf(BusError);
    expect((error as BusError).code).toBe('INVALID_ARGUMENT');
    expect((error as BusError).message).toMatch(/'inventory\.v1\.reserve': invalid input: items\.1\.qty: /);
    expect((error as BusError).details?.issues).toEqual([{ path: 'items.1.qty', message: expect.any(String) }]);
    expect(ran).toBe(false);
    // A plain caller sees the handler-side code, with the same issues.
    const plain = await rejection(pair.client.request('inventory.v1.reserve', { sku: 3, items: [] }));
    expect(plain).toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'INVALID_ARGUMENT', details: { issues: [{ path: 'sku', message: expect.any(String) }] } });
  });

  it('checks output only when asked: a wrong result is INTERNAL on the caller and logged on the server', async () => {
    const bad = { ...handlers, reserve: async () => ({ id: 42 }) as unknown as { id: string } };
    const stop = implement(pair.server, Inv, bad);
    const inv = client(pair.client, Inv);
    await expect(inv.reserve({ sku: 'A', items: [] })).resolves.toEqual({ id: 42 });
    stop();
    const logger = recordingLogger();
    implement(pair.server, Inv, bad, { validateOutput: true, logger });
    const error = await rejection(inv.reserve({ sku: 'A', items: [] }));
    expect(error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/did not match its contract/) });
    expect((error as BusError).details?.issues).toBeUndefined();
    expect(logger.lines.join('\n')).toMatch(/'inventory\.v1\.reserve': the handler's result does not match the contract's output schema: id: /);
  });

  it('validates on the client when asked: no frame is sent', async () => {
    let calls = 0;
    pair.server.use({ inbound: (message, next) => (message.kind === 'request' && calls++, next()) });
    implement(pair.server, Inv, handlers);
    const inv = client(pair.client, Inv, { validateInput: true });
    const error = await rejection(inv.reserve({ sku: 'A', items: [{ qty: 0 }] }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/checked before sending/), details: { issues: [{ path: 'items.0.qty' }] } });
    expect(calls).toBe(0);
    await inv.reserve({ sku: 'A', items: [{ qty: 1 }] });
    expect(calls).toBe(1);
  });

  it('delivers a declared error typed, and leaves an undeclared one REMOTE_ERROR', async () => {
    implement(pair.server, Inv, { ...handlers, ping: () => Promise.reject(new Error('down')) });
    const inv = client(pair.client, Inv);
    const error = await rejection(inv.reserve({ sku: 'none', items: [] }));
    expect(error).toBeInstanceOf(ContractError);
    expect(BusError.is(error, 'REMOTE_ERROR')).toBe(true);
    if (!isContractError(error, Inv, 'reserve', 'OUT_OF_STOCK')) throw new Error('not the declared error');
    expect(error.data).toEqual({ sku: 'none', left: 0 });
    expect(error.remoteCode).toBe('OUT_OF_STOCK');
    const other = await rejection(inv.ping('x'));
    expect(other).not.toBeInstanceOf(ContractError);
    expect(other).toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'HANDLER_ERROR' });
  });

  it('streams values, and cancelling aborts the handler', async () => {
    let aborted!: () => void;
    const abortedNow = new Promise<void>((resolve) => (aborted = resolve));
    implement(pair.server, Inv, {
      ...handlers,
      watch: (sym, ctx) => {
        ctx.signal.addEventListener('abort', () => aborted());
        return new Observable<{ sym: string; price: number }>((s) => {
          s.next({ sym, price: 1 });
          s.next({ sym, price: 2 });
          return NEVER.subscribe();
        });
      },
    });
    const inv = client(pair.client, Inv);
    await expect(firstValueFrom(inv.watch('ACME').pipe(take(2), toArray()))).resolves.toEqual([
      { sym: 'ACME', price: 1 },
      { sym: 'ACME', price: 2 },
    ]);
    await abortedNow;
    const error = await rejection(firstValueFrom(inv.watch('')));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { issues: [{ message: expect.any(String) }] } });
  });

  it('publishes and receives typed events on the contract-prefixed topic, dropping payloads that fail the schema', async () => {
    const logger = recordingLogger();
    const received = firstValueFrom(client(pair.server, Inv, { logger }).on('stock.*.changed').pipe(take(2), toArray()));
    const inv = client(pair.client, Inv);
    await inv.emit('stock.eu.changed', { sku: 'A', qty: 1 });
    await pair.client.publish('inventory.v1.stock.us.changed', { sku: 'B', qty: 'many' });
    await inv.emit('stock.us.changed', { sku: 'C', qty: 3 });
    const events = await received;
    expect(events.map((e) => [e.topic, e.payload])).toEqual([
      ['stock.eu.changed', { sku: 'A', qty: 1 }],
      ['stock.us.changed', { sku: 'C', qty: 3 }],
    ]);
    expect(logger.lines.join('\n')).toMatch(/dropped an event on 'stock\.us\.changed': payload does not match the contract: qty: /);
  });
});
