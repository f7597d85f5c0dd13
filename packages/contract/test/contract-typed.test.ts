import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BusError, type MessageBus } from '@pipebus/core';
import { client, contract, ContractError, contractError, event, implement, isContractError, isStandardSchema, rpc, stream, typed } from '@pipebus/contract';
import { thrown } from '@pipebus/test-support';
import { firstValueFrom, take, toArray } from 'rxjs';
import { z } from 'zod';
import { busPair, recordingLogger, rejection } from './helpers.js';

// typed<T>() types a slot without a schema library: the member holds no
// schema there, so nothing is validated and a declared error's data arrives
// as it was sent.
const Shop = contract('shop', {
  buy: rpc({
    input: z.object({ sku: z.string().min(1) }),
    output: typed<{ id: string }>(),
    errors: { SOLD_OUT: typed<{ left: number }>(), CLOSED: z.object({ until: z.string() }) },
  }),
  lookup: rpc({ input: typed<string>(), output: typed<number>() }),
  prices: stream({ input: typed<string>(), output: typed<number>() }),
  'sale.*': event({ payload: typed<{ sku: string }>() }),
});

describe('typed<T>()', () => {
  it('is stored as no runtime schema in every slot', () => {
    expect(Shop.members.buy.output).toBeUndefined();
    expect(Shop.members.buy.errors.SOLD_OUT).toBeUndefined();
    expect(Object.keys(Shop.members.buy.errors)).toEqual(['SOLD_OUT', 'CLOSED']);
    expect(isStandardSchema(Shop.members.buy.errors.CLOSED)).toBe(true);
    expect(Shop.members.lookup.input).toBeUndefined();
    expect(Shop.members.prices.input).toBeUndefined();
    expect(Shop.members['sale.*'].payload).toBeUndefined();
  });

  it('is a Standard Schema that accepts any value, so it fits wherever a schema goes', () => {
    const t = typed<number>();
    expect(isStandardSchema(t)).toBe(true);
    expect(t['~standard'].validate('not a number')).toEqual({ value: 'not a number' });
  });

  it("is recognised when made by another copy of the package (its ESM and CommonJS builds)", () => {
    const other = { [Symbol.for('pipebus.contract.typed')]: true, '~standard': { version: 1 as const, vendor: 'pipebus.typed', validate: (value: unknown) => ({ value }) } };
    expect(rpc({ input: other }).input).toBeUndefined();
  });

  it('still refuses a value that is neither a schema nor typed<T>(), and says how to type it', () => {
    const error = thrown(() => rpc({ errors: { SOLD_OUT: { left: 0 } as never } }), BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/errors\.SOLD_OUT is not a Standard Schema v1 .* or typed<T>\(\) to type it without validation/);
  });
});

describe('typed<T>() over a bus', () => {
  let pair: { server: MessageBus; client: MessageBus; close(): Promise<void> };
  beforeEach(async () => {
    pair = await busPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  const handlers = {
    buy: ({ sku }: { sku: string }) => {
      if (sku === 'gone') throw contractError(Shop, 'buy', 'SOLD_OUT', { left: 0 });
      if (sku === 'night') throw contractError(Shop, 'buy', 'CLOSED', { until: '08:00' });
      return { id: sku };
    },
    lookup: (s: string) => s.length,
    prices: async (s: string) => s.length,
  };

  it('delivers a declared typed error as a ContractError with its data', async () => {
    implement(pair.server, Shop, handlers);
    const shop = client(pair.client, Shop);
    const error = await rejection(shop.buy({ sku: 'gone' }));
    expect(error).toBeInstanceOf(ContractError);
    if (!isContractError(error, Shop, 'buy', 'SOLD_OUT')) throw new Error('not the declared error');
    expect(error.data).toEqual({ left: 0 });
    // Beside it, a schema'd error of the same method is still checked and typed.
    const closed = await rejection(shop.buy({ sku: 'night' }));
    expect(isContractError(closed, Shop, 'buy', 'CLOSED') && closed.data).toEqual({ until: '08:00' });
  });

  it('does not validate a typed error: data of another shape arrives as sent, also with validateOutput', async () => {
    const logger = recordingLogger();
    implement(pair.server, Shop, { ...handlers, buy: () => Promise.reject(contractError(Shop, 'buy', 'SOLD_OUT', { left: 'none' } as unknown as { left: number })) }, { validateOutput: true, logger });
    const error = await rejection(client(pair.client, Shop).buy({ sku: 'a' }));
    expect(isContractError(error, Shop, 'buy', 'SOLD_OUT') && error.data).toEqual({ left: 'none' });
    expect(logger.lines).toEqual([]);
  });

  it('does not validate a typed input or output, on the server or (validateInput) on the client', async () => {
    const seen: unknown[] = [];
    implement(pair.server, Shop, { ...handlers, lookup: (s) => (seen.push(s), 'many' as unknown as number) }, { validateOutput: true });
    const shop = client(pair.client, Shop, { validateInput: true });
    await expect(shop.lookup(42 as unknown as string)).resolves.toBe('many');
    expect(seen).toEqual([42]);
    // A schema'd input beside typed slots is still validated.
    await expect(shop.buy({ sku: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'sku' }] } });
  });

  it('streams through a typed input and output', async () => {
    implement(pair.server, Shop, handlers);
    await expect(firstValueFrom(client(pair.client, Shop).prices('abc').pipe(toArray()))).resolves.toEqual([3]);
  });

  it('delivers a typed event payload unchecked', async () => {
    const logger = recordingLogger();
    const received = firstValueFrom(client(pair.server, Shop, { logger }).on('sale.*').pipe(take(2), toArray()));
    const shop = client(pair.client, Shop, { validateInput: true });
    await shop.emit('sale.eu', { sku: 'A' });
    await shop.emit('sale.us', { sku: 1 } as unknown as { sku: string });
    expect((await received).map((e) => e.payload)).toEqual([{ sku: 'A' }, { sku: 1 }]);
    expect(logger.lines).toEqual([]);
  });
});
