import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger, type MessageContext } from '@pipebus/core';
import { client, contract, rpc, type StandardSchemaV1 } from '@pipebus/contract';
import { MockNetwork } from '@pipebus/transport-mock';
import { implement } from '@pipebus/contract';
import { handlers2, Inventory21, Inventory30 } from './fixtures/versions.js';

// What a call that failed NO_HANDLER does to find out why: one describe
// request, shared, small, bounded by what is left of the call's timeout.
let network: MockNetwork;
let server: MessageBus;
let bus: MessageBus;
let describes: unknown[];
beforeEach(async () => {
  network = new MockNetwork({ seed: 1 });
  server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger, name: 'server' });
  bus = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger, name: 'client' });
  describes = [];
  server.use({
    inbound: (m: MessageContext, next) => {
      if (m.name === 'pipebus.describe' && m.kind === 'request') describes.push(m.payload);
      return next();
    },
  });
  await server.start();
  await bus.start();
});
afterEach(async () => {
  network.clearFaults();
  await bus.close();
  await server.close();
});

const never = (): Promise<never> => new Promise<never>(() => undefined);

describe('the lookup after a NO_HANDLER', () => {
  it("waits only what is left of the call's timeout, and is skipped under 10 ms", async () => {
    server.handle('pipebus.describe', never);
    network.setFaults({ delay: 200 });
    const v3 = client(bus, Inventory30, { clock: network.clock });
    let settledAt: number | undefined;
    const t0 = network.clock.now();
    const call = v3.reserve({ sku: 'A', lines: [] }, { timeout: 500 }).catch((e: unknown) => {
      settledAt = network.clock.now() - t0;
      return e;
    });
    // NO_HANDLER is back at 400 ms: 100 ms are left for the lookup.
    while (settledAt === undefined && network.clock.now() - t0 < 2000) await network.clock.advance(10);
    expect(settledAt).toBe(500);
    await expect(call).resolves.toMatchObject({ code: 'NO_HANDLER' });
    await network.clock.advance(300);
    expect(describes).toHaveLength(1);
    // 5 ms left when NO_HANDLER is back: no lookup at all.
    const late = v3.reserve({ sku: 'A', lines: [] }, { timeout: 405 }).catch((e: unknown) => e);
    await network.clock.advance(1000);
    await expect(late).resolves.toMatchObject({ code: 'NO_HANDLER' });
    expect(describes).toHaveLength(1);
  });

  it('refuses a clock that is not one', () => {
    expect(() => client(bus, Inventory30, { clock: {} as never })).toThrow(/options\.clock must be a Clock/);
  });

  it('sends one describe for 50 concurrent failing calls, asking for this contract without schemas, and keeps nothing once answered', async () => {
    implement(server, Inventory21, handlers2);
    const v3 = client(bus, Inventory30, { clock: network.clock });
    const errors = await Promise.all(Array.from({ length: 50 }, () => v3.reserve({ sku: 'A', lines: [] }).catch((e: unknown) => e)));
    expect(errors.every((e) => BusError.is(e, 'CONTRACT_MISMATCH'))).toBe(true);
    expect(describes).toEqual([{ contract: 'inventory', schemas: false }]);
    await expect(v3.reserve({ sku: 'A', lines: [] })).rejects.toMatchObject({ code: 'CONTRACT_MISMATCH' });
    expect(describes).toHaveLength(2);
  });

  it("computes the client's own fingerprint only when it finds a mismatch", async () => {
    let conversions = 0;
    const counted: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'counted',
        validate: (value: unknown) => ({ value }),
        jsonSchema: {
          input: () => {
            conversions++;
            return { type: 'string' };
          },
        },
      } as StandardSchemaV1['~standard'],
    };
    const Billing = contract('billing', { version: '1.0.0' }, { pay: rpc({ input: counted }) });
    // The peer says it has billing 1.x with pay (a handler removed since, say): no mismatch to explain.
    server.handle('pipebus.describe', () => ({ format: 1, contracts: [{ name: 'billing', version: '1.0.0', fingerprint: '0123456789abcdef', prefix: 'billing.v1', members: [{ key: 'pay', kind: 'rpc', wire: 'billing.v1.pay', input: null, output: null, errors: [] }] }] }));
    await expect(client(bus, Billing).pay('x')).rejects.toMatchObject({ code: 'NO_HANDLER' });
    expect(conversions).toBe(0);
  });

  it.each<[string, () => unknown]>([
    ['garbage', () => 'garbage'],
    ['a newer format (UNSUPPORTED_VERSION)', () => ({ format: 2, contracts: 'whatever' })],
    ['an error', () => Promise.reject(new BusError('INTERNAL', 'boom'))],
  ])('leaves NO_HANDLER standing when the describe answer is %s', async (_what, answer) => {
    server.handle('pipebus.describe', answer);
    const error = await client(bus, Inventory30)
      .reserve({ sku: 'A', lines: [] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NO_HANDLER' });
    expect(describes).toHaveLength(1);
  });

  it('leaves nothing behind when a stream is unsubscribed during the lookup: no late error, no pending request', async () => {
    server.handle('pipebus.describe', never);
    const seen: unknown[] = [];
    const subscription = client(bus, Inventory30, { clock: network.clock })
      .watch('ACME')
      .subscribe({ next: (v) => seen.push(v), error: (e: unknown) => seen.push(e) });
    while (describes.length === 0) await network.clock.advance(1);
    subscription.unsubscribe();
    await network.clock.advance(1000);
    expect(seen).toEqual([]);
    expect(bus.stats().pendingRequests).toBe(0);
  });
});
