import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { silentLogger, type BusError, type TransportState } from '@pipebus/core';
import { VirtualClock } from '@pipebus/transport-mock';
import { NamedPipeClient, NamedPipeServer, type PipeClientOptions } from '@pipebus/transport-namedpipe';
import { withBackend } from '../src/backend/backend-seam.js';
import { FakePipeBackend, type Answer } from './fakes/fake-pipe-backend.js';

// Every wait of the client runs on a VirtualClock against an in-memory backend:
// the attempt times below are exact, and no test sleeps.

const clients: NamedPipeClient[] = [];
afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

function setup(options: Partial<PipeClientOptions>, script: Answer[], fallback: Answer = 'absent') {
  const clock = new VirtualClock();
  const backend = new FakePipeBackend(clock, script, fallback);
  const client = new NamedPipeClient(withBackend({ address: 'pipe://fake', logger: silentLogger, clock, ...options }, backend));
  clients.push(client);
  const errors: BusError[] = [];
  client.events.on('error', (e) => void errors.push(e));
  return { clock, backend, client, errors };
}

function reached(client: NamedPipeClient, state: TransportState): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (s: TransportState): void => {
      if (s !== state) return;
      client.events.off('state', on);
      resolve();
    };
    client.events.on('state', on);
  });
}

/** Gaps between consecutive attempts, starting from `from`. */
function gaps(attempts: readonly number[], from: number): number[] {
  return attempts.map((t, i) => t - (i === 0 ? from : attempts[i - 1]!));
}

/** Starts the client on its first (accepted) attempt, then cuts the link at the current virtual time. */
async function openThenDrop(s: ReturnType<typeof setup>): Promise<number> {
  await s.client.start();
  return drop(s);
}

async function drop(s: ReturnType<typeof setup>): Promise<number> {
  const at = s.clock.now();
  s.backend.serverEnds.at(-1)!.destroy();
  await reached(s.client, 'reconnecting');
  return at;
}

describe('the clock option', () => {
  it('is checked at construction: a value without now/setTimeout/clearTimeout is INVALID_ARGUMENT', () => {
    const bad = { now: () => 0 } as unknown as PipeClientOptions['clock'];
    expect(() => new NamedPipeClient({ address: 'pipe://fake', clock: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new NamedPipeServer({ address: 'pipe://fake', clock: bad })).toThrow(/options.clock must implement now\(\), setTimeout\(\) and clearTimeout\(\)/);
  });
});

describe('NamedPipeClient connectTimeout (virtual time, fake backend)', () => {
  it('polls with doubling pauses (5 ms up to 200 ms) and gives up with NOT_FOUND at exactly connectTimeout', async () => {
    const s = setup({ connectTimeout: 1000 }, []);
    const started = s.client.start();
    const outcome = started.then(() => undefined, (e: BusError) => e);
    await s.clock.advance(999);
    expect(s.backend.attempts).toEqual([0, 5, 15, 35, 75, 155, 315, 515, 715, 915]);
    await s.clock.advance(1);
    const error = await outcome;
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as BusError).message).toContain('no server appeared within 1000 ms');
    expect(s.backend.attempts.at(-1)).toBe(1000);
    expect(s.client.state).toBe('idle');
  });

  it('connects as soon as the server appears within connectTimeout', async () => {
    const s = setup({ connectTimeout: 1000 }, ['absent', 'busy', 'accept']);
    const started = s.client.start();
    await s.clock.advance(15);
    await started;
    expect(s.backend.attempts).toEqual([0, 5, 15]);
    expect(s.client.state).toBe('open');
  });

  it('fails with TIMEOUT when a connected server does not greet within handshakeTimeout', async () => {
    const s = setup({ handshakeTimeout: 500 }, ['silent']);
    const outcome = s.client.start().then(() => undefined, (e: BusError) => e);
    await s.clock.advance(499);
    expect(s.client.state).toBe('connecting');
    await s.clock.advance(1);
    expect(await outcome).toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('NamedPipeClient reconnect (virtual time, fake backend)', () => {
  const policy = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0 };

  it('waits initialDelayMs × factor^n (capped at maxDelayMs) before each attempt, then gives up after maxAttempts', async () => {
    const s = setup({ reconnect: { ...policy, maxAttempts: 5 } }, ['accept']);
    const dropped = await openThenDrop(s);
    const closed = reached(s.client, 'closed');
    await s.clock.advance(100 + 200 + 400 + 800 + 1000);
    await closed;
    expect(gaps(s.backend.attempts.slice(1), dropped)).toEqual([100, 200, 400, 800, 1000]);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatchObject({ code: 'NOT_FOUND' });
    expect(s.errors[0]!.message).toContain('gave up reconnecting');
    expect(s.errors[0]!.message).toContain('after 5 attempts');
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('spreads each wait by ±jitter around its base', async () => {
    const s = setup({ reconnect: { ...policy, jitter: 0.5, maxAttempts: 4 } }, ['accept']);
    await s.client.start();
    // random() 0 → base × 0.5; 1 → base × 1.5; 0.5 → base; 0.75 → base × 1.25 (then capped at maxDelayMs).
    const random = jest.spyOn(Math, 'random');
    for (const r of [0, 1, 0.5, 0.75]) random.mockReturnValueOnce(r);
    const dropped = await drop(s);
    const closed = reached(s.client, 'closed');
    await s.clock.advance(50 + 300 + 400 + 1000);
    await closed;
    expect(gaps(s.backend.attempts.slice(1), dropped)).toEqual([50, 300, 400, 1000]);
  });

  it('starts over from initialDelayMs, with a fresh maxAttempts, after a reconnect succeeded', async () => {
    const s = setup({ reconnect: { ...policy, maxAttempts: 3 } }, ['accept', 'absent', 'absent', 'accept']);
    const firstDrop = await openThenDrop(s);
    const reopened = reached(s.client, 'open');
    await s.clock.advance(100 + 200 + 400);
    await reopened;
    expect(gaps(s.backend.attempts.slice(1, 4), firstDrop)).toEqual([100, 200, 400]);
    expect(s.client.stats().reconnects).toBe(1);
    expect(s.errors).toEqual([]);

    // Three failures now are a new round: not 3 + 3 > maxAttempts from the first one.
    const secondDrop = await drop(s);
    const closed = reached(s.client, 'closed');
    await s.clock.advance(100 + 200 + 400);
    await closed;
    expect(gaps(s.backend.attempts.slice(4), secondDrop)).toEqual([100, 200, 400]);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]!.message).toContain('after 3 attempts');
  });

  it('stops reconnecting, without an error, when closed during a backoff wait', async () => {
    const s = setup({ reconnect: { ...policy, maxAttempts: 10 } }, ['accept']);
    const dropped = await openThenDrop(s);
    await s.clock.advance(100 + 200 + 50);
    expect(gaps(s.backend.attempts.slice(1), dropped)).toEqual([100, 200]);
    await s.client.close();
    await s.clock.advance(10_000);
    expect(s.backend.attempts).toHaveLength(3);
    expect(s.errors).toEqual([]);
    expect(s.clock.pendingTimers).toBe(0);
  });
});
