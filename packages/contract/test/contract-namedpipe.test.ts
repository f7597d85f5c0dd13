import { afterEach, expect, it } from '@jest/globals';
import { MessageBus, silentLogger } from '@pipebus/core';
import { checkContract, client, contractError, describeRemote, implement, isContractError } from '@pipebus/contract';
import { NamedPipeClient, NamedPipeServer } from '@pipebus/transport-namedpipe';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { inventory, zodSchemas } from './fixtures/inventory.js';
import { handlers2, handlers3, Inventory21, Inventory23, Inventory30 } from './fixtures/versions.js';
import { rejection } from './helpers.js';

// The contract layer adds nothing to the wire: the same calls, errors with
// their issues and typed data, and streams over a real named pipe (a unix
// socket on POSIX), two buses in this process.
const runtimeDir = process.platform === 'win32' ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'pbct-'));
const buses: MessageBus[] = [];
afterEach(async () => {
  await Promise.allSettled(buses.splice(0).map((bus) => bus.close()));
});

it('calls, refuses bad input with the field path, delivers typed errors and streams over a named pipe', async () => {
  const address = `pipe://contract-${process.pid}`;
  const dir = runtimeDir === undefined ? {} : { runtimeDir };
  const server = new MessageBus(new NamedPipeServer({ address, logger: silentLogger, ...dir }), { logger: silentLogger });
  const Inv = inventory(zodSchemas);
  implement(server, Inv, {
    reserve: async (req) => {
      if (req.sku === 'none') throw contractError(Inv, 'reserve', 'OUT_OF_STOCK', { sku: req.sku, left: 0 });
      return { id: req.sku };
    },
    watch: async function* (sym) {
      // Finite: a generator that never awaits anything real would hold the
      // event loop in microtasks, and the bus drops a peer it floods.
      for (let price = 1; price <= 3; price++) yield { sym, price };
    },
    ping: (s) => s.length,
  });
  buses.push(server);
  await server.start();
  const bus = new MessageBus(new NamedPipeClient({ address, logger: silentLogger, ...dir }), { logger: silentLogger });
  buses.unshift(bus);
  await bus.start();
  const inv = client(bus, Inv);

  await expect(inv.reserve({ sku: 'A', items: [{ qty: 1 }] }, { timeout: 5000 })).resolves.toEqual({ id: 'A' });
  const error = await rejection(inv.reserve({ sku: 'A', items: [{ qty: 1.5 }] }, { timeout: 5000 }));
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'items.0.qty', message: expect.any(String) }] } });
  const declared = await rejection(inv.reserve({ sku: 'none', items: [] }, { timeout: 5000 }));
  expect(isContractError(declared, Inv, 'reserve', 'OUT_OF_STOCK') && declared.data).toEqual({ sku: 'none', left: 0 });
  await expect(firstValueFrom(inv.watch('ACME', { timeout: 5000 }).pipe(toArray()))).resolves.toEqual([1, 2, 3].map((price) => ({ sym: 'ACME', price })));
  await expect(inv.ping('abc', { timeout: 5000 })).resolves.toBe(3);
});

it('tells a client of another major or a later minor what to deploy, and serves two majors side by side, over a named pipe', async () => {
  const address = `pipe://contract-versions-${process.pid}`;
  const dir = runtimeDir === undefined ? {} : { runtimeDir };
  const server = new MessageBus(new NamedPipeServer({ address, logger: silentLogger, ...dir }), { logger: silentLogger });
  implement(server, Inventory21, handlers2);
  buses.push(server);
  await server.start();
  const bus = new MessageBus(new NamedPipeClient({ address, logger: silentLogger, ...dir }), { logger: silentLogger });
  buses.unshift(bus);
  await bus.start();

  const v3 = await rejection(client(bus, Inventory30).reserve({ sku: 'A', lines: [] }, { timeout: 5000 }));
  expect(v3).toMatchObject({ code: 'CONTRACT_MISMATCH', message: expect.stringMatching(/the service implements inventory 2\.1\.0 \(inventory\.v2\.\*\); this client was built against inventory 3\.0\.0 \(inventory\.v3\.\*\): deploy the 3\.x service or use the 2\.x contract$/) });
  const minor = await rejection(client(bus, Inventory23).audit(undefined, { timeout: 5000 }));
  expect(minor).toMatchObject({ code: 'CONTRACT_MISMATCH', details: { methods: ['audit'], local: { version: '2.3.0' }, remote: [{ version: '2.1.0' }] } });

  implement(server, Inventory30, handlers3);
  await expect(client(bus, Inventory21).reserve({ sku: 'A', qty: 1 }, { timeout: 5000 })).resolves.toEqual({ id: 'v2-A' });
  await expect(client(bus, Inventory30).reserve({ sku: 'A', lines: [] }, { timeout: 5000 })).resolves.toEqual({ id: 'v3-A' });
  const described = await describeRemote(bus, { timeout: 5000 });
  expect(described.contracts.map((c) => [c.prefix, c.fingerprint])).toEqual([
    ['inventory.v2', Inventory21.fingerprint],
    ['inventory.v3', Inventory30.fingerprint],
  ]);
  await expect(checkContract(bus, Inventory30, { timeout: 5000 })).resolves.toEqual({ version: '3.0.0', fingerprint: Inventory30.fingerprint, exact: true });
});
