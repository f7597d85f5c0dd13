import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { filter, firstValueFrom } from 'rxjs';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeClient, NamedPipeServer } from '@pipebus/transport-namedpipe';
import { forkTs } from '@pipebus/test-support';
import { fuzzRuns } from './support/fuzz.js';
import { serveTrialMethods } from './support/trial-methods.js';
import { within } from './support/within.js';

/**
 * Peer death at random moments: a child process is killed with SIGKILL while
 * calls, streams and handlers are in flight, and nothing on the surviving
 * side may hang or keep working for the dead peer. The kill moment is the
 * N-th echo the survivor sees, N drawn from a seeded generator (the seed is
 * printed; PIPEBUS_FUZZ_SEED replays it).
 */
const isWindows = process.platform === 'win32';
const PEER = path.join(__dirname, 'fixtures', 'death-peer.ts');
// Linux runs 100 of each direction (200 in all); Wine a tenth (process start-up there is ~1 s).
const TRIALS = fuzzRuns(100);
const SEED = Number(process.env['PIPEBUS_FUZZ_SEED'] || Date.now() % 0x7fffffff);
const runtimeDir = isWindows ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'pb-death-'));
const children = new Set<ChildProcess>();
/** Longest time from SIGKILL to the survivor having cleaned up, per direction (reported at the end). */
const worst = { handlersAborted: 0, callsFailed: 0 };

jest.setTimeout(240_000);
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (runtimeDir !== '') fs.rmSync(runtimeDir, { recursive: true, force: true });
  console.log(`peer death: ${TRIALS} + ${TRIALS} trials, seed ${SEED}; worst ms from SIGKILL to handlers aborted ${worst.handlersAborted.toFixed(1)}, to calls failed ${worst.callsFailed.toFixed(1)}`);
});

function killPoints(salt: number): number[] {
  return fc.sample(fc.integer({ min: 1, max: 300 }), { seed: SEED + salt, numRuns: TRIALS });
}

/**
 * Starts the death peer; `ready` resolves once it reports ready. The child is
 * returned at once: a server may see the peer's first echo before the
 * parent sees its 'ready', and the kill at echo 1 must reach this child.
 */
function startPeer(mode: 'server' | 'client', address: string): { child: ChildProcess; ready: Promise<void> } {
  const child = forkTs(PEER, [mode, address, runtimeDir]);
  children.add(child);
  child.once('exit', () => children.delete(child));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code, signal) => reject(new Error(`the ${mode} peer exited (${code ?? signal}) before it was ready`)));
  });
  return { child, ready };
}

const dirOption = runtimeDir === '' ? {} : { runtimeDir };

describe('peer death at random moments (SIGKILL)', () => {
  it(`a server aborts every handler and stream of a client killed mid-traffic (${TRIALS} trials)`, async () => {
    const address = `pipe://death-srv-${process.pid}`;
    const server = new NamedPipeServer({ address, logger: silentLogger, ...dirOption });
    const bus = new MessageBus(server, { logger: silentLogger });
    let victim: ChildProcess | undefined;
    let killAt = 0;
    let killedAt = 0;
    const counts = serveTrialMethods(bus, (c) => {
      if (c.echoes === killAt && victim !== undefined) {
        killedAt = performance.now();
        victim.kill('SIGKILL');
      }
    });
    await bus.start();
    try {
      for (const [trial, at] of killPoints(1).entries()) {
        counts.echoes = 0;
        killAt = at;
        const gone = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
        const peer = startPeer('client', address);
        victim = peer.child;
        await peer.ready;
        await within(`trial ${trial}: the client's disconnection after echo ${at}`, gone, 10_000);
        // The bus reacted to the same event before us (it subscribed first).
        worst.handlersAborted = Math.max(worst.handlersAborted, performance.now() - killedAt);
        expect(bus.stats().activeHandlers).toBe(0);
        expect(counts.slowAborted).toBe(counts.slowStarted);
        expect(counts.streamsEnded).toBe(counts.streamsStarted);
        await within(`trial ${trial}: the child's exit`, new Promise((resolve) => (victim!.exitCode !== null || victim!.signalCode !== null ? resolve(0) : victim!.once('exit', resolve))));
      }
    } finally {
      await bus.close();
    }
  });

  it(`a client fails every call in flight when its server is killed mid-traffic (${TRIALS} trials)`, async () => {
    for (const [trial, at] of killPoints(2).entries()) {
      const address = `pipe://death-cli-${process.pid}-${trial}`;
      const { child: victim, ready } = startPeer('server', address);
      await ready;
      const bus = new MessageBus(new NamedPipeClient({ address, logger: silentLogger, reconnect: false, ...dirOption }), { logger: silentLogger });
      try {
        await bus.start();
        const forever = { timeout: Infinity };
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < 8; i++) calls.push(bus.request('slow', i, forever));
        for (let i = 0; i < 2; i++) {
          calls.push(new Promise((resolve, reject) => bus.request$('stream', i, forever).subscribe({ error: reject, complete: () => resolve(undefined) })));
        }
        let killedAt = 0;
        for (let n = 1; n <= at; n++) await bus.request('echo', n, forever);
        killedAt = performance.now();
        victim.kill('SIGKILL');
        calls.push(bus.request('echo', 'after', forever));
        const settled = await within(`trial ${trial}: every call to fail after the kill at echo ${at}`, Promise.allSettled(calls));
        worst.callsFailed = Math.max(worst.callsFailed, performance.now() - killedAt);
        for (const result of settled) {
          expect(result.status).toBe('rejected');
          const error = (result as PromiseRejectedResult).reason as BusError;
          expect(error).toBeInstanceOf(BusError);
          expect(error.code).toBe('TRANSPORT_CLOSED');
        }
        expect(bus.stats().pendingRequests).toBe(0);
      } finally {
        await bus.close();
      }
    }
  });
});
