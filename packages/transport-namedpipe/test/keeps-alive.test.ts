import { afterAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '@pipebus/core';
import { forkTs, nextMessage } from '@pipebus/test-support';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { makeRuntimeDir, uniqueAddress } from './helpers.js';

// The client's waits run on its clock, and systemClock unrefs its timers. A
// client polling for its server or backing off between reconnects has nothing
// else in flight, so those waits must hold the process open: else Node exits
// in the middle, start() never settled and the app never told. Virtual-time
// tests cannot see this; a real process can.

const FIXTURE = path.join(__dirname, 'fixtures', 'lonely-client.ts');
const runtimeDir = makeRuntimeDir();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

type Report = { type: 'state'; state: string } | { type: 'started' } | { type: 'start-failed'; code?: string };
const isReport = (m: unknown): m is Report => typeof m === 'object' && m !== null && 'type' in m;
const is =
  <T extends Report>(accept: (r: Report) => r is T) =>
  (m: unknown): m is T =>
    isReport(m) && accept(m);

function lonelyClient(address: string, mode: 'connect' | 'reconnect'): ChildProcess {
  const child = forkTs(FIXTURE, [address, mode, runtimeDir]);
  children.push(child);
  return child;
}

describe('a client whose only work is waiting for its server', () => {
  it('stays alive while it polls under connectTimeout, and reports NOT_FOUND', async () => {
    const child = lonelyClient(uniqueAddress('nobody-serves'), 'connect');
    // nextMessage rejects if the child exits before it reports.
    const failed = await nextMessage(child, is((r): r is Extract<Report, { type: 'start-failed' }> => r.type === 'start-failed'));
    expect(failed.code).toBe('NOT_FOUND');
  });

  it('stays alive while it backs off between reconnects, and reports giving up', async () => {
    const address = uniqueAddress('server-leaves');
    const server = new NamedPipeServer({ address, ...(runtimeDir ? { runtimeDir } : {}), logger: silentLogger });
    await server.start();
    const child = lonelyClient(address, 'reconnect');
    await nextMessage(child, is((r): r is Extract<Report, { type: 'started' }> => r.type === 'started'));
    const reconnecting = nextMessage(child, is((r): r is Extract<Report, { type: 'state' }> => r.type === 'state' && r.state === 'reconnecting'));
    await server.close();
    await reconnecting;
    // Three attempts 100 ms apart, then closed: the child must live to say so.
    const closed = await nextMessage(child, is((r): r is Extract<Report, { type: 'state' }> => r.type === 'state' && r.state === 'closed'));
    expect(closed.state).toBe('closed');
  });
});
