import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { contract, describeBus, describeRemote, event, implement, rpc, stream, type BusDescription } from '@pipebus/contract';
import { MockNetwork } from '@pipebus/transport-mock';
import { thrown } from '@pipebus/test-support';
import { z } from 'zod';
import { arktypeSchemas, inventory, valibotSchemas, zodSchemas, type InventorySchemas } from './fixtures/inventory.js';
import { handlers2, handlers3, Inventory21, Inventory30 } from './fixtures/versions.js';
import { busPair, rejection } from './helpers.js';

let pair: { server: MessageBus; client: MessageBus; close(): Promise<void> };
beforeEach(async () => {
  pair = await busPair();
});
afterEach(async () => {
  await pair.close();
});

const invHandlers = { reserve: async () => ({ id: 'x' }), watch: async () => ({ sym: 'A', price: 1 }), ping: (s: string) => s.length };

describe('describe', () => {
  it('lists each member with its wire name and schemas: JSON Schema from zod and arktype, the vendor alone from valibot, null when typed only', () => {
    implement(pair.server, inventory(zodSchemas), invHandlers);
    const [c] = describeBus(pair.server).contracts;
    expect(c).toMatchObject({ name: 'inventory', version: '1.0.0', prefix: 'inventory.v1', fingerprint: inventory(zodSchemas).fingerprint });
    expect(c!.members.map((m) => [m.key, m.kind, m.wire])).toEqual([
      ['reserve', 'rpc', 'inventory.v1.reserve'],
      ['watch', 'stream', 'inventory.v1.watch'],
      ['stock.*.changed', 'event', 'inventory.v1.stock.*.changed'],
      ['ping', 'rpc', 'inventory.v1.ping'],
    ]);
    const [reserve, , changed, ping] = c!.members;
    expect(reserve).toMatchObject({
      input: { vendor: 'zod', jsonSchema: { type: 'object', required: ['sku', 'items'], properties: { sku: { type: 'string' } } } },
      output: { vendor: 'zod', jsonSchema: { type: 'object' } },
      errors: [{ code: 'OUT_OF_STOCK', data: { vendor: 'zod', jsonSchema: { properties: { left: { type: 'number' } } } } }],
    });
    expect(changed).toEqual({ key: 'stock.*.changed', kind: 'event', wire: 'inventory.v1.stock.*.changed', payload: { vendor: 'zod', jsonSchema: expect.objectContaining({ type: 'object' }) } });
    expect(ping).toEqual({ key: 'ping', kind: 'rpc', wire: 'inventory.v1.ping', input: null, output: null, errors: [] });
  });

  it.each<[string, InventorySchemas, boolean]>([
    ['arktype', arktypeSchemas, true],
    ['valibot', valibotSchemas, false],
  ])('describes %s schemas', (vendor, schemas, hasJson) => {
    implement(pair.server, inventory(schemas), invHandlers);
    const reserve = describeBus(pair.server).contracts[0]!.members[0]!;
    expect(reserve.input?.vendor).toBe(vendor);
    expect(reserve.input?.jsonSchema !== undefined).toBe(hasJson);
    if (hasJson) expect(reserve.input?.jsonSchema).toMatchObject({ type: 'object', properties: { sku: { type: 'string' } } });
  });

  it('gives the vendor alone when the converter throws (a Date has no JSON Schema)', () => {
    implement(pair.server, contract('t', { when: rpc({ input: z.date() }) }), { when: () => undefined });
    expect(describeBus(pair.server).contracts[0]!.members[0]!.input).toEqual({ vendor: 'zod' });
  });

  it('answers peers with what describe() gives, two majors of one contract both listed, until the last stop', async () => {
    expect(describeBus(pair.server)).toEqual({ format: 1, contracts: [] });
    const stop2 = implement(pair.server, Inventory21, handlers2);
    const stop3 = implement(pair.server, Inventory30, handlers3);
    const local = describeBus(pair.server);
    expect(local.contracts.map((c) => c.prefix)).toEqual(['inventory.v2', 'inventory.v3']);
    const remote = await describeRemote(pair.client, { timeout: 1000 });
    expect(remote).toEqual(JSON.parse(JSON.stringify(local)) as BusDescription);
    stop2();
    expect((await describeRemote(pair.client)).contracts.map((c) => c.version)).toEqual(['3.0.0']);
    stop3();
    stop3();
    const none = await rejection(describeRemote(pair.client));
    expect(none).toMatchObject({ code: 'NO_HANDLER', message: "the peer implements no contract (or uses a @pipebus/contract older than this release): it has no handler for 'pipebus.describe'" });
    implement(pair.server, Inventory21, handlers2);
    await expect(describeRemote(pair.client)).resolves.toMatchObject({ contracts: [{ version: '2.1.0' }] });
  });

  it("refuses to implement where pipebus.describe is someone else's, and leaves nothing registered", async () => {
    pair.server.handle('pipebus.describe', () => 'mine');
    const error = thrown(() => implement(pair.server, Inventory21, handlers2), BusError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/'pipebus\.describe' already has a handler on this bus/) });
    await expect(pair.client.request('inventory.v2.reserve', { sku: 'A', qty: 1 })).rejects.toMatchObject({ code: 'NO_HANDLER' });
  });

  it('shares one registry between two copies of the package (its ESM and CommonJS builds)', async () => {
    let other!: typeof import('@pipebus/contract');
    jest.isolateModules(() => {
      other = jest.requireActual<typeof import('@pipebus/contract')>('@pipebus/contract');
    });
    expect(other.implement).not.toBe(implement);
    implement(pair.server, Inventory21, handlers2);
    other.implement(pair.server, other.contract('billing', { version: '1.0.0' }, { pay: other.rpc() }), { pay: () => undefined });
    expect(describeBus(pair.server).contracts.map((c) => c.prefix)).toEqual(['inventory.v2', 'billing.v1']);
    await expect(describeRemote(pair.client)).resolves.toMatchObject({ contracts: [{ prefix: 'inventory.v2' }, { prefix: 'billing.v1' }] });
  });

  it('refuses misspelt options', async () => {
    await expect(describeRemote(pair.client, { timout: 5 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/did you mean 'timeout'/) });
  });
});

describe('a describe answer from a hostile peer', () => {
  const valid = () => ({ format: 1, contracts: [{ name: 'inv', version: '1.0.0', fingerprint: '0123456789abcdef', prefix: 'inv.v1', members: [{ key: 'get', kind: 'rpc', wire: 'inv.v1.get', input: null, output: null, errors: [] }] }] });
  const withEvent = (payload: unknown) => ({ format: 1, contracts: [{ ...valid().contracts[0], members: [{ key: 'e', kind: 'event', wire: 'inv.v1.e', payload }] }] });

  it.each<[string, unknown, RegExp]>([
    ['nothing', undefined, /the answer must be an object, got undefined/],
    ['a string', 'hello', /the answer must be an object, got "hello"/],
    ['another format', { ...valid(), format: 'x' }, /format must be 1, got "x"/],
    ['contracts not a list', { format: 1, contracts: { a: 1 } }, /contracts must be an array, got an object/],
    ['a bad kind', { format: 1, contracts: [{ ...valid().contracts[0], members: [{ key: 'get', kind: 'query', wire: 'inv.v1.get' }] }] }, /contracts\[0\]\.members\[0\]\.kind must be 'rpc', 'stream' or 'event', got "query"/],
    ['a huge name', { format: 1, contracts: [{ ...valid().contracts[0], name: 'n'.repeat(1_000_000) }] }, /contracts\[0\]\.name must be at most 200 chars, got a string of 1000000 chars$/],
    ["a wire name that is not the member's", { format: 1, contracts: [{ ...valid().contracts[0], members: [{ key: 'get', kind: 'rpc', wire: 'bank.transfer' }] }] }, /members\[0\]\.wire must be the prefix, '\.' and the key, got "bank\.transfer"/],
    ['a bad fingerprint', { format: 1, contracts: [{ ...valid().contracts[0], fingerprint: 'XYZ' }] }, /fingerprint must match/],
    ['a prefix that is not the major', { format: 1, contracts: [{ ...valid().contracts[0], prefix: 'other.v1' }] }, /prefix must be 'inv\.v1'/],
    ['a JSON Schema sent as an object, not as JSON text', withEvent({ vendor: 'x', jsonSchema: { type: 'string' } }), /payload\.jsonSchema must be a non-empty string, got an object/],
    ['a JSON Schema text that does not parse', withEvent({ vendor: 'x', jsonSchema: '{"type":' }), /members\[0\]\.payload\.jsonSchema must be JSON text/],
    ['a JSON Schema text of an array', withEvent({ vendor: 'x', jsonSchema: '[1,2]' }), /payload\.jsonSchema must be an object, got an array/],
    ['a JSON Schema text over 1 MiB', withEvent({ vendor: 'x', jsonSchema: JSON.stringify({ description: 'd'.repeat(1_048_576) }) }), /payload\.jsonSchema must be at most 1048576 chars/],
    ['a vendor with control characters', withEvent({ vendor: 'zod\u001b[2J' }), /payload\.vendor must match/],
    ['a method key with control and bidi characters', { format: 1, contracts: [{ ...valid().contracts[0], members: [{ key: 'a\u001b[2J\u202e', kind: 'rpc', wire: 'inv.v1.a\u001b[2J\u202e', errors: [] }] }] }, /members\[0\]\.key must match/],
    ['an event key that is not a topic pattern', { format: 1, contracts: [{ ...valid().contracts[0], members: [{ key: 'a.>.b', kind: 'event', wire: 'inv.v1.a.>.b' }] }] }, /members\[0\]\.key must be a valid topic pattern/],
    ['a member key twice', { format: 1, contracts: [{ ...valid().contracts[0], members: [valid().contracts[0]!.members[0], valid().contracts[0]!.members[0]] }] }, /contracts\[0\]\.members\[1\]\.key repeats a key of the contract, got "get"/],
    ['a contract twice', { format: 1, contracts: [valid().contracts[0], valid().contracts[0]] }, /contracts\[1\] repeats inv\.v1 \(a contract and major listed twice\)/],
    ['a version with a leading zero', { format: 1, contracts: [{ ...valid().contracts[0], version: '01.0.0', prefix: 'inv.v01' }] }, /contracts\[0\]\.version must match/],
  ])('refuses %s with DECODE_FAILED saying what was wrong', async (_what, answer, message) => {
    pair.server.handle('pipebus.describe', () => answer);
    const error = await rejection(describeRemote(pair.client));
    expect(error).toMatchObject({ code: 'DECODE_FAILED', message: expect.stringMatching(/^the peer's describe answer is malformed: /) });
    expect((error as BusError).message).toMatch(message);
    expect((error as BusError).message.length).toBeLessThan(300);
  });

  it('reads a JSON Schema nested 1000 levels deep without overflowing, and refuses a newer format as UNSUPPORTED_VERSION', async () => {
    let answer: unknown = { format: 1, contracts: [{ ...valid().contracts[0], members: [{ key: 'e', kind: 'event', wire: 'inv.v1.e', payload: { vendor: 'x', jsonSchema: `${'{"items":'.repeat(1000)}{"type":"string"}${'}'.repeat(1000)}` } }] }] };
    pair.server.handle('pipebus.describe', () => answer);
    const read = await describeRemote(pair.client);
    // Walked, not compared with toEqual or JSON.stringify: both recurse, and Windows' main-thread stack is smaller.
    let node = read.contracts[0]!.members[0]!.payload!.jsonSchema as Record<string, unknown>;
    let depth = 0;
    for (; node.items !== undefined; depth++) node = node.items as Record<string, unknown>;
    expect([depth, node]).toEqual([1000, { type: 'string' }]);
    answer = { format: 2, contracts: 'whatever' };
    await expect(describeRemote(pair.client)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', message: expect.stringMatching(/format 2, newer than this @pipebus\/contract reads \(1\): update @pipebus\/contract/) });
  });
});

describe('a 500-method contract', () => {
  it('describes within the default maximum message size', async () => {
    const members: Record<string, ReturnType<typeof rpc> | ReturnType<typeof stream> | ReturnType<typeof event>> = {};
    const handlers: Record<string, () => unknown> = {};
    for (let i = 0; i < 500; i++) {
      const input = z.object({ id: z.string(), [`n${i}`]: z.number(), tags: z.array(z.string()) });
      const output = z.object({ ok: z.boolean(), [`v${i}`]: z.number() });
      members[`m${i}`] = i % 3 === 0 ? rpc({ input, output, errors: { [`E${i}`]: z.object({ why: z.string() }) } }) : i % 3 === 1 ? stream({ input, output }) : rpc();
      handlers[`m${i}`] = async () => ({ ok: true });
    }
    for (let i = 0; i < 20; i++) members[`e${i}.*.changed`] = event({ payload: z.object({ [`e${i}`]: z.number() }) });
    const Big = contract('big', { version: '1.0.0' }, members);
    implement(pair.server, Big, handlers as never);
    const remote = await describeRemote(pair.client);
    expect(remote.contracts[0]!.members).toHaveLength(520);
    expect(remote.contracts[0]!.fingerprint).toBe(Big.fingerprint);
  });

  it("fails REMOTE_ERROR FRAME_TOO_LARGE, saying to raise it, when the answer is above the server's maxMessageSize", async () => {
    const network = new MockNetwork({ seed: 1 });
    const small = { clock: network.clock, logger: silentLogger, maxMessageSize: 4096 };
    const server = new MessageBus(network.listen('small'), small);
    const bus = new MessageBus(network.connect('small'), small);
    await server.start();
    await bus.start();
    try {
      const members: Record<string, ReturnType<typeof rpc>> = {};
      const handlers: Record<string, () => unknown> = {};
      for (let i = 0; i < 100; i++) {
        members[`m${i}`] = rpc({ input: z.object({ a: z.string() }) });
        handlers[`m${i}`] = () => 1;
      }
      implement(server, contract('big', members), handlers as never);
      const error = await rejection(describeRemote(bus));
      expect(error).toMatchObject({ code: 'REMOTE_ERROR', remoteCode: 'FRAME_TOO_LARGE', message: expect.stringMatching(/above maxMessageSize 4096; send less or raise the bus's maxMessageSize/) });
    } finally {
      await bus.close();
      await server.close();
    }
  });
});
