import { afterEach, expect, it } from '@jest/globals';
import { MessageBus, silentLogger } from '@pipebus/core';
import { main, type CliIo } from '@pipebus/cli';
import { contract, contractError, describeBus, implement, rpc, stream, typed } from '@pipebus/contract';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { handlers2, handlers3, Inventory21, Inventory30 } from './fixtures/versions.js';

// End to end: what `implement()` answers on `pipebus.describe` is what
// `pipebus describe` reads, and the call line it prints reaches the method.
// (The CLI's own tests cover hostile answers with a hand-made server.) The
// CLI connects in the default runtime directory, so the server uses it too.
const buses: MessageBus[] = [];
afterEach(async () => {
  await Promise.allSettled(buses.splice(0).map((bus) => bus.close()));
});

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), signal: new AbortController().signal };
  const code = await main(argv, io);
  return { code, out, err };
}

it('pipebus describe lists what implement() serves, and its call line reaches the method', async () => {
  const address = `pipe://contract-describe-${process.pid}`;
  const server = new MessageBus(new NamedPipeServer({ address, logger: silentLogger }), { logger: silentLogger });
  buses.push(server);
  implement(server, Inventory21, handlers2);
  implement(server, Inventory30, handlers3);
  await server.start();

  const json = await run(['describe', address, '--json']);
  expect(json.err).toEqual([]);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.out[0]!)).toEqual(JSON.parse(JSON.stringify(describeBus(server))));

  const listing = await run(['describe', address]);
  expect(listing.code).toBe(0);
  expect(listing.out[0]).toBe(`${address} implements 2 contracts`);
  expect(listing.out).toContain(`inventory 2.1.0  fingerprint ${Inventory21.fingerprint}  wire prefix inventory.v2`);
  expect(listing.out).toContain(`inventory 3.0.0  fingerprint ${Inventory30.fingerprint}  wire prefix inventory.v3`);
  const callLine = listing.out.at(-1)!;
  expect(callLine).toMatch(/^call a method: pipebus request /);

  // The hint names a real wire method: calling v3's reserve with its input shape answers from the v3 handler.
  const called = await run(['request', address, JSON.stringify({ sku: 'A', lines: [{ qty: 1 }] }), '--method', 'inventory.v3.reserve']);
  expect(called.err).toEqual([]);
  expect(called.out.join('\n')).toContain('v3-A');
});

it('pipebus request prints each value of a contract stream, and a declared error with its data', async () => {
  const address = `pipe://contract-request-${process.pid}`;
  const server = new MessageBus(new NamedPipeServer({ address, logger: silentLogger }), { logger: silentLogger });
  buses.push(server);
  const Feed = contract('feed', { version: '1.0.0' }, { ticks: stream<number, number>(), get: rpc({ input: typed<string>(), output: typed<string>(), errors: { GONE: typed<{ id: string }>() } }) });
  implement(server, Feed, {
    ticks: async function* (n) {
      for (let i = 1; i <= n; i++) yield i * 10;
    },
    get: (id) => {
      throw contractError(Feed, 'get', 'GONE', { id });
    },
  });
  await server.start();

  const streamed = await run(['request', address, '3', '--method', 'feed.v1.ticks']);
  expect(streamed.err).toEqual([]);
  expect(streamed.out).toEqual(['10', '20', '30']);

  const failed = await run(['request', address, '"x"', '--method', 'feed.v1.get']);
  expect(failed.code).toBe(1);
  expect(failed.err).toHaveLength(1);
  expect(failed.err[0]).toMatch(/^pipebus request: REMOTE_ERROR \(remote code GONE\): .*GONE, an error declared by the contract 'feed' .* data: \{"id":"x"\}$/);
});
