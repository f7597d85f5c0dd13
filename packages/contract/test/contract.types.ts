/**
 * Type tests: type-checked by `pnpm typecheck` (tsconfig.test.json), never
 * run. Each `@ts-expect-error` marks a mistake that must not compile; tsc
 * fails if the line below it compiles after all. The `Equal` checks pin what
 * is inferred.
 */
import type { HandlerContext, MessageBus } from '@pipebus/core';
import { checkContract, client, contract, contractError, describeBus, describeRemote, event, implement, isContractError, rpc, stream, type BusDescription, type ContractCheck } from '@pipebus/contract';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { typed } from '@pipebus/contract';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}
declare const bus: MessageBus;
declare const signal: AbortSignal;

const Reserve = z.object({ sku: z.string(), qty: z.number() });
const Reserved = z.object({ id: z.string() });
const OutOfStock = z.object({ sku: z.string(), left: z.number() });
const Price = z.object({ sym: z.string(), price: z.number() });
const StockChanged = z.object({ sku: z.string(), qty: z.number() });

const Inventory = contract('inventory', { version: '2.1.0' }, {
  reserve: rpc({ input: Reserve, output: Reserved, errors: { OUT_OF_STOCK: OutOfStock } }),
  watch: stream({ input: z.string(), output: Price }),
  'stock.*.changed': event({ payload: StockChanged }),
  'audit.>': event<{ who: string }>(),
  ping: rpc<string, number>(),
  status: rpc<void, 'up' | 'down'>(),
});

// ---- client: inferred signatures ----
const inventory = client(bus, Inventory);
expectType<Equal<ReturnType<typeof inventory.reserve>, Promise<{ id: string }>>>();
expectType<Equal<ReturnType<typeof inventory.watch>, Observable<{ sym: string; price: number }>>>();
expectType<Equal<ReturnType<typeof inventory.ping>, Promise<number>>>();
expectType<Equal<Parameters<typeof inventory.reserve>[0], { sku: string; qty: number }>>();
void inventory.reserve({ sku: 'A', qty: 1 }, { signal, timeout: 500 });
void inventory.status();
void inventory.watch('ACME', { headers: { trace: '1' } });

// @ts-expect-error wrong payload: qty is a number
void inventory.reserve({ sku: 'A', qty: '1' });
// @ts-expect-error missing payload
void inventory.reserve();
// @ts-expect-error misspelt method
void inventory.reserv({ sku: 'A', qty: 1 });
// @ts-expect-error an event is not a method of the client
void inventory['stock.*.changed'];
// @ts-expect-error wrong result type
const wrongResult: Promise<{ id: number }> = inventory.reserve({ sku: 'A', qty: 1 });
void wrongResult;
// @ts-expect-error unknown request option
void inventory.ping('x', { timeot: 5 });

// ---- events: typed topics ----
void inventory.emit('stock.eu.changed', { sku: 'A', qty: 1 });
void inventory.emit('audit.login.ok', { who: 'me' });
declare const region: string;
void inventory.emit(`stock.${region}.changed`, { sku: 'A', qty: 1 });
// @ts-expect-error misspelt topic: matches no declared pattern
void inventory.emit('stock.eu.chnaged', { sku: 'A', qty: 1 });
// @ts-expect-error too many tokens for 'stock.*.changed'
void inventory.emit('stock.eu.west.changed', { sku: 'A', qty: 1 });
// @ts-expect-error undeclared topic
void inventory.emit('orders.created', {});
// @ts-expect-error wildcards are for subscribing, not publishing
void inventory.emit('stock.*.changed', { sku: 'A', qty: 1 });
// @ts-expect-error wrong payload for the topic
void inventory.emit('stock.eu.changed', { sku: 'A' });
// @ts-expect-error the payload of another event
void inventory.emit('audit.x', { sku: 'A', qty: 1 });

const changes = inventory.on('stock.*.changed');
expectType<Equal<typeof changes, Observable<import('@pipebus/contract').ContractEvent<{ sku: string; qty: number }>>>>();
const oneRegion = inventory.on('stock.eu.changed');
expectType<Equal<typeof oneRegion, Observable<import('@pipebus/contract').ContractEvent<{ sku: string; qty: number }>>>>();
// @ts-expect-error undeclared pattern
inventory.on('stock.>');

// ---- implement: handlers typed by the contract ----
implement(bus, Inventory, {
  reserve: async (req, ctx) => {
    expectType<Equal<typeof req, { sku: string; qty: number }>>();
    expectType<Equal<typeof ctx, HandlerContext>>();
    if (req.qty > 10) throw contractError(Inventory, 'reserve', 'OUT_OF_STOCK', { sku: req.sku, left: 0 });
    return { id: 'r1' };
  },
  watch: (sym) => (async function* () {
    yield { sym, price: 1 };
  })(),
  ping: (s) => s.length,
  status: () => 'up' as const,
});
implement(bus, Inventory, {
  // @ts-expect-error wrong result: id must be a string
  reserve: async () => ({ id: 1 }),
  watch: async (sym) => ({ sym, price: 1 }),
  ping: (s) => s.length,
  status: () => 'up' as const,
});
// @ts-expect-error missing handler: status
implement(bus, Inventory, {
  reserve: async () => ({ id: 'r' }),
  watch: async (sym) => ({ sym, price: 1 }),
  ping: (s) => s.length,
});
implement(bus, Inventory, {
  reserve: async () => ({ id: 'r' }),
  watch: async (sym) => ({ sym, price: 1 }),
  ping: (s) => s.length,
  status: () => 'up' as const,
  // @ts-expect-error extra handler not in the contract
  restock: () => 1,
});
implement(bus, Inventory, {
  reserve: async () => ({ id: 'r' }),
  // @ts-expect-error a stream handler's values have the output type
  watch: async () => ({ sym: 1, price: 1 }),
  ping: (s) => s.length,
  status: () => 'up' as const,
});

// ---- typed errors ----
// @ts-expect-error wrong error code
contractError(Inventory, 'reserve', 'OUT_OF_STOKC', { sku: 'A', left: 0 });
// @ts-expect-error wrong error data
contractError(Inventory, 'reserve', 'OUT_OF_STOCK', { sku: 'A', left: 'none' });
// @ts-expect-error ping declares no errors
contractError(Inventory, 'ping', 'OUT_OF_STOCK', { sku: 'A', left: 0 });

declare const failure: unknown;
if (isContractError(failure, Inventory, 'reserve', 'OUT_OF_STOCK')) {
  expectType<Equal<typeof failure.data, { sku: string; left: number }>>();
  expectType<Equal<typeof failure.remoteCode, 'OUT_OF_STOCK'>>();
  expectType<Equal<typeof failure.code, import('@pipebus/core').BusErrorCode>>();
}
// @ts-expect-error wrong error code in the guard
isContractError(failure, Inventory, 'reserve', 'SOLD_OUT');

// ---- typed<T>(): a slot typed without a schema ----
const Shop = contract('shop', {
  buy: rpc({ input: z.object({ sku: z.string() }), output: typed<{ id: string }>(), errors: { SOLD_OUT: typed<{ left: number }>(), CLOSED: OutOfStock } }),
  lookup: rpc({ input: typed<string>(), output: typed<number>() }),
  prices: stream({ input: typed<string>(), output: typed<{ price: number }>() }),
  'sale.*': event({ payload: typed<{ sku: string }>() }),
});
const shop = client(bus, Shop);
expectType<Equal<ReturnType<typeof shop.buy>, Promise<{ id: string }>>>();
expectType<Equal<ReturnType<typeof shop.lookup>, Promise<number>>>();
expectType<Equal<Parameters<typeof shop.lookup>[0], string>>();
expectType<Equal<ReturnType<typeof shop.prices>, Observable<{ price: number }>>>();
void shop.emit('sale.eu', { sku: 'A' });
// @ts-expect-error a typed input is still checked at compile time
void shop.lookup(1);
// @ts-expect-error a typed event payload too
void shop.emit('sale.eu', { sku: 1 });
implement(bus, Shop, {
  buy: async ({ sku }) => {
    if (sku === '') throw contractError(Shop, 'buy', 'SOLD_OUT', { left: 0 });
    return { id: sku };
  },
  lookup: (s) => s.length,
  prices: async (sym) => ({ price: sym.length }),
});
implement(bus, Shop, {
  // @ts-expect-error a typed output is checked too
  buy: async () => ({ id: 1 }),
  lookup: (s) => s.length,
  prices: async (sym) => ({ price: sym.length }),
});
contractError(Shop, 'buy', 'CLOSED', { sku: 'A', left: 0 });
// @ts-expect-error wrong data for a typed error
contractError(Shop, 'buy', 'SOLD_OUT', { left: 'none' });
// @ts-expect-error wrong code for a typed error
contractError(Shop, 'buy', 'SOLD_OUTT', { left: 0 });
// @ts-expect-error lookup declares no errors
contractError(Shop, 'lookup', 'SOLD_OUT', { left: 0 });
if (isContractError(failure, Shop, 'buy', 'SOLD_OUT')) {
  expectType<Equal<typeof failure.data, { left: number }>>();
  expectType<Equal<typeof failure.remoteCode, 'SOLD_OUT'>>();
}
// @ts-expect-error wrong code in the guard
isContractError(failure, Shop, 'buy', 'CLOSD');

// ---- definitions ----
// @ts-expect-error a schema must be a Standard Schema
rpc({ input: { parse: (x: unknown) => x } });
// @ts-expect-error a contract member must be made by rpc(), stream() or event()
contract('bad', { get: { kind: 'rpc' } });
// @ts-expect-error NOT_FOUND is the bus's own code: a contract declares codes of its domain
rpc({ errors: { NOT_FOUND: typed<{ id: string }>() } });
// @ts-expect-error the same for a stream, and with a schema
stream({ input: z.string(), errors: { TIMEOUT: z.object({}) } });
rpc({ errors: { NOT_IN_STOCK: typed<{ id: string }>() } });

// ---- versions and describe ----
expectType<Equal<typeof Inventory.prefix, string>>();
expectType<Equal<typeof Inventory.fingerprint, string>>();
expectType<Equal<ReturnType<typeof describeBus>, BusDescription>>();
expectType<Equal<ReturnType<typeof describeRemote>, Promise<BusDescription>>>();
expectType<Equal<ReturnType<typeof checkContract>, Promise<ContractCheck>>>();
void describeRemote(bus, { to: 'peer-1', timeout: 500, signal });
// @ts-expect-error describeRemote takes to, timeout and signal only
void describeRemote(bus, { headers: {} });
declare const described: BusDescription;
// @ts-expect-error a description is read-only
described.contracts[0]!.members[0]!.kind = 'rpc';
