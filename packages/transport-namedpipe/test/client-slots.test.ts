import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

const pool = new Pool(makeRuntimeDir());
afterEach(async () => {
  await pool.closeAll();
});

async function rejection(promise: Promise<unknown>, what: string): Promise<BusError> {
  const error = await within(what, promise.then(() => undefined, (e: unknown) => e));
  if (!BusError.is(error)) throw new Error(`${what}: expected a BusError, got ${String(error)}`);
  return error;
}

describe('idleTimeout', () => {
  it('drops a client that sends no complete frame for idleTimeout (its hello counts), with TIMEOUT, freeing its slot', async () => {
    const address = uniqueAddress('idle');
    const server = pool.server(address, { maxClients: 1, idleTimeout: 300 });
    const errors: BusError[] = [];
    server.events.on('error', (e: BusError) => void errors.push(e));
    const gone = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
    await server.start();
    await pool.client(address, { reconnect: false }).start();
    // The slot is held meanwhile: the next client is BUSY.
    expect((await rejection(pool.client(address, { reconnect: false }).start(), 'a second start()')).code).toBe('BUSY');
    expect((await within('the idle client to be dropped', gone)).reason).toMatch(/no complete frame for 300 ms \(idleTimeout\)/);
    expect(errors.map((e) => e.code)).toContain('TIMEOUT');
    expect(server.stats()).toMatchObject({ slowDrops: 1, peersConnected: 0 });
    await within('a new client in the freed slot', pool.client(address).start());
  });

  it('is off by default, and refuses a negative value with INVALID_ARGUMENT naming the range', () => {
    expect(() => pool.server(uniqueAddress('x'), { idleTimeout: -1 })).toThrow(/options\.idleTimeout must be an integer from 0 to 2147483647/);
  });
});

describe('maxClientsPerUser', () => {
  it('gives a client over its user\'s cap BUSY, as over maxClients, and admits it again once one leaves', async () => {
    const address = uniqueAddress('peruser');
    const server = pool.server(address, { maxClientsPerUser: 2 });
    const refused = new Promise<BusError>((resolve) => server.events.once('error', resolve));
    await server.start();
    const first = pool.client(address);
    await first.start();
    await pool.client(address).start();
    const error = await rejection(pool.client(address, { reconnect: false }).start(), 'start() of a third client of this user');
    expect(error.code).toBe('BUSY');
    expect((await within('the refusal', refused)).message).toMatch(/maxClientsPerUser \(2\) of (uid \d+|S-1-[\d-]+|an unknown user) are already connected/);
    expect(server.stats()).toMatchObject({ peersConnected: 2 });
    expect(server.stats().peersRejected).toBeGreaterThanOrEqual(1);
    const left = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
    await first.close();
    await within('the first client to leave', left);
    await within('a client in the freed share', pool.client(address).start());
  });

  it('defaults to maxClients and refuses more than maxClients or less than 1 with INVALID_ARGUMENT', () => {
    expect(() => pool.server(uniqueAddress('x'), { maxClients: 8, maxClientsPerUser: 9 })).toThrow(/options\.maxClientsPerUser must be an integer from 1 to 8/);
    expect(() => pool.server(uniqueAddress('x'), { maxClientsPerUser: 0 })).toThrow(/from 1 to 256/);
  });
});
