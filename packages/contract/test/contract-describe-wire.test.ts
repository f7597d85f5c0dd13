import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { client, contract, describeBus, describeRemote, event, implement, rpc } from '@pipebus/contract';
import { MockNetwork } from '@pipebus/transport-mock';
import { thrown } from '@pipebus/test-support';
import { z } from 'zod';
import { busPair } from './helpers.js';
import { handlers2, Inventory21 } from './fixtures/versions.js';

let pair: Awaited<ReturnType<typeof busPair>>;
beforeEach(async () => {
  pair = await busPair();
});
afterEach(async () => {
  await pair.close();
});

describe('the describe request and answer on the wire', () => {
  it('carries each JSON Schema as JSON text, and gives it back parsed', async () => {
    implement(pair.server, Inventory21, handlers2);
    const raw = (await pair.client.request('pipebus.describe')) as { contracts: { members: { input?: { jsonSchema?: unknown } }[] }[] };
    const text = raw.contracts[0]!.members[0]!.input!.jsonSchema;
    expect(typeof text).toBe('string');
    const remote = await describeRemote(pair.client);
    expect(remote.contracts[0]!.members[0]!.input!.jsonSchema).toEqual(JSON.parse(text as string));
    expect(remote).toEqual(JSON.parse(JSON.stringify(describeBus(pair.server))));
  });

  it('answers one contract, without JSON Schemas, when asked', async () => {
    implement(pair.server, Inventory21, handlers2);
    implement(pair.server, contract('billing', { pay: rpc({ input: z.string() }) }), { pay: () => undefined });
    const one = await describeRemote(pair.client, { contract: 'billing', schemas: false });
    expect(one.contracts).toEqual([expect.objectContaining({ name: 'billing', members: [{ key: 'pay', kind: 'rpc', wire: 'billing.pay', input: { vendor: 'zod' }, output: null, errors: [] }] })]);
    expect((await describeRemote(pair.client, { contract: 'nothing' })).contracts).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['an unknown key', { contract: 'billing', schema: false }],
    ['a contract that is not a string', { contract: 3 }],
    ['schemas that is not a boolean', { schemas: 'no' }],
    ['an array', ['billing']],
  ])('refuses a request with %s: INVALID_ARGUMENT on the server', async (_what, payload) => {
    implement(pair.server, Inventory21, handlers2);
    await expect(pair.client.request('pipebus.describe', payload)).rejects.toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'INVALID_ARGUMENT', message: expect.stringMatching(/pipebus\.describe/) });
  });

  it('refuses bad describeRemote options before sending', async () => {
    await expect(describeRemote(pair.client, { schemas: 'no' as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(describeRemote(pair.client, { contract: 3 as unknown as string })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('a big contract (500 methods of 100 fields in and out)', () => {
  it("answers describe without closing the link: peersDropped stays 0, an unrelated call completes", async () => {
    const network = new MockNetwork({ seed: 1 });
    const server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger });
    const bus = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger });
    await server.start();
    await bus.start();
    try {
      const fields = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, z.string().min(1).max(100)]));
      const members: Record<string, ReturnType<typeof rpc>> = {};
      const handlers: Record<string, () => unknown> = {};
      for (let i = 0; i < 500; i++) {
        members[`m${i}`] = rpc({ input: z.object(fields), output: z.object(fields) });
        handlers[`m${i}`] = () => ({});
      }
      implement(server, contract('erp', { version: '2.0.0' }, members), handlers as never);
      let release: (value: string) => void = () => undefined;
      server.handle('slow', () => new Promise<string>((resolve) => (release = resolve)));
      const inflight = bus.request('slow', undefined, { timeout: 60_000 }).catch((e: unknown) => e);
      // The whole answer, schemas included (about 6 MB of msgpack): each JSON Schema is one decoded element.
      const all = await describeRemote(bus, { timeout: 60_000 });
      expect(all.contracts[0]!.members).toHaveLength(500);
      expect(Object.keys((all.contracts[0]!.members[0]!.input!.jsonSchema as { properties: object }).properties)).toHaveLength(100);
      // A call of another contract failing NO_HANDLER, which looks the service up.
      await expect(client(bus, contract('billing', { pay: rpc() })).pay()).rejects.toMatchObject({ code: 'NO_HANDLER' });
      release('done');
      expect(await inflight).toBe('done');
      expect(bus.stats().peersDropped).toBe(0);
      expect(server.stats().peersDropped).toBe(0);
    } finally {
      await bus.close();
      await server.close();
    }
  }, 60_000);
});

describe('implement and pipebus.describe', () => {
  it('says to pass the same bus object when another object wrapping the bus took pipebus.describe; describe: false works there', () => {
    const facade = () => ({ handle: pair.server.handle.bind(pair.server) });
    implement(facade(), contract('a', { x: rpc() }), { x: () => 1 });
    const error = thrown(() => implement(facade(), contract('b', { y: rpc() }), { y: () => 2 }), BusError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/pass the same bus object to every implement\(\) \(or pass \{ describe: false \}\)/) });
    expect(() => implement(facade(), contract('b', { y: rpc() }), { y: () => 2 }, { describe: false })).not.toThrow();
  });

  it('hides a contract implemented with describe: false from peers and describeBus(bus)', async () => {
    implement(pair.server, Inventory21, handlers2, { describe: false });
    expect(describeBus(pair.server).contracts).toEqual([]);
    await expect(describeRemote(pair.client)).rejects.toMatchObject({ code: 'NO_HANDLER' });
    await expect(client(pair.client, Inventory21).reserve({ sku: 'A', qty: 1 })).resolves.toEqual({ id: 'v2-A' });
    expect(() => implement(pair.server, Inventory21, handlers2, { describe: 'no' as unknown as boolean })).toThrow(/options\.describe must be true or false/);
  });

  it('implements an events-only contract on a one-way bus (no describe handler there)', async () => {
    const network = new MockNetwork({ seed: 1 });
    const bus = new MessageBus(network.join('grp'), { clock: network.clock, logger: silentLogger });
    await bus.start();
    try {
      const Alerts = contract('alerts', { 'x.*': event<{ n: number }>() });
      const stop = implement(bus, Alerts, {} as never);
      expect(describeBus(bus).contracts.map((c) => c.name)).toEqual(['alerts']);
      stop();
      expect(describeBus(bus).contracts).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});
