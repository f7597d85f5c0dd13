import { afterEach, describe, expect, it } from '@jest/globals';
import { BusError, MessageBus } from '@pipebus/core';
import type { MessageBusOptions, RequestOptions } from '@pipebus/core';
import { thrown as thrownBy } from '@pipebus/test-support';
import { MockNetwork } from '@pipebus/transport-mock';
import type { BusPair } from './helpers.js';
import { busPair, flush } from './helpers.js';

// The rough edges a new user hit (issue 15): timeouts past Node's timer limit,
// misspelt option keys, and messages that misdescribe a value.

const MAX_TIMER = 2 ** 31 - 1;
let pair: BusPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const thrown = (fn: () => unknown): BusError => thrownBy(fn, BusError);

describe('timeouts up to the timer limit', () => {
  it('waits the whole of a 2^31 - 1 ms timeout in virtual time, then fails TIMEOUT', async () => {
    pair = await busPair();
    pair.server.handle('never', () => new Promise(() => {}));
    const outcome = pair.client.request('never', null, { timeout: MAX_TIMER }).catch((e: unknown) => e);
    await flush();
    await pair.network.clock.advance(MAX_TIMER - 1);
    expect(pair.client.stats().requestsTimedOut).toBe(0);
    await pair.network.clock.advance(1);
    expect(await outcome).toMatchObject({ code: 'TIMEOUT' });
  });

  it.each([2 ** 31, 30 * 24 * 3600 * 1000, Number.MAX_SAFE_INTEGER])('refuses a request timeout of %d ms with what to use instead', async (timeout) => {
    pair = await busPair();
    const error = await pair.client.request('x', null, { timeout }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((error as BusError).message).toBe(
      `request('x') timeout must be a positive number of milliseconds up to 2147483647 (about 24.8 days), or Infinity for no timeout, got number ${timeout}`,
    );
    expect(() => pair!.client.request$('x', null, { timeout })).toThrow(/up to 2147483647/);
    await expect(pair.client.ping({ timeout })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses a defaultTimeout or reassembly.timeoutMs above the limit, and keeps Infinity as no timeout', async () => {
    const network = new MockNetwork({ seed: 1 });
    expect(thrown(() => new MessageBus(network.listen('a'), { defaultTimeout: 2 ** 31 })).message).toMatch(/options\.defaultTimeout must be .* up to 2147483647/);
    expect(thrown(() => new MessageBus(network.listen('b'), { reassembly: { timeoutMs: 2 ** 31 } })).message).toMatch(/options\.reassembly\.timeoutMs must be an integer from 1 to 2147483647/);
    pair = await busPair({ defaultTimeout: Infinity });
    pair.server.handle('never', () => new Promise(() => {}));
    void pair.client.request('never', null).catch(() => {});
    void pair.client.request('never', null, { timeout: Infinity }).catch(() => {});
    await flush();
    await pair.network.clock.advance(10 * MAX_TIMER);
    expect(pair.client.stats().requestsTimedOut).toBe(0);
  });
});

describe('unknown option keys', () => {
  it('fail a request with the closest valid key', async () => {
    pair = await busPair();
    const options = { timout: 100 } as unknown as RequestOptions;
    const error = await pair.client.request('x', null, options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { option: 'timout', suggestion: 'timeout' } });
    expect((error as BusError).message).toMatch(/^request\('x'\): unknown option 'options\.timout'; did you mean 'timeout'\?/);
  });

  it('fail a MessageBus, in its nested reassembly options too', () => {
    const network = new MockNetwork({ seed: 1 });
    const top = thrown(() => new MessageBus(network.listen('a'), { defaultTimout: 5 } as unknown as MessageBusOptions));
    expect(top.message).toMatch(/^MessageBus: unknown option 'options\.defaultTimout'; did you mean 'defaultTimeout'\?/);
    const nested = thrown(() => new MessageBus(network.listen('b'), { reassembly: { maxPendingMesages: 5 } } as unknown as MessageBusOptions));
    expect(nested.message).toMatch(/unknown option 'options\.reassembly\.maxPendingMesages'; did you mean 'maxPendingMessages'\?/);
    const far = thrown(() => new MessageBus(network.listen('c'), { colour: 'red' } as unknown as MessageBusOptions));
    expect(far.message).toMatch(/^MessageBus: unknown option 'options\.colour'; valid options are 'codec', /);
  });
});

describe('messages describe the value given', () => {
  it('quotes a string where a number was expected', async () => {
    pair = await busPair();
    const error = await pair.client.request('x', null, { timeout: '100' as unknown as number }).catch((e: unknown) => e);
    expect((error as BusError).message).toMatch(/, got "100"$/);
    const network = new MockNetwork({ seed: 1 });
    expect(thrown(() => new MessageBus(network.listen('a'), { maxMessageSize: '5' as unknown as number })).message).toMatch(/, got "5"$/);
  });

  it('names undefined once', () => {
    expect(thrown(() => new MessageBus(undefined as never)).message).toBe('MessageBus needs a Transport, got undefined');
  });

  it('refuses an object that carries the Transport brand but is no transport, naming what is missing', () => {
    const fake = { [Symbol.for('pipebus.transport')]: true };
    const error = thrown(() => new MessageBus(fake as never));
    expect(error).toBeInstanceOf(BusError);
    expect((error as BusError).code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^MessageBus needs a Transport, got an object .*onFrame/);
  });
});
