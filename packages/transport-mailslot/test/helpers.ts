import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError } from '@pipebus/core';
import { RUN_TS } from '@pipebus/test-support';

/** True when jest runs under Windows Node on Wine (scripts/windows/jest.sh). */
export const underWine = process.env['PIPEBUS_UNDER_WINE'] === '1';
export const onWindows = process.platform === 'win32';

let counter = 0;
/** A group name no other test (or concurrent run) uses. */
export function uniqueGroup(what: string): string {
  return `mailslot://t${process.pid}-${what}-${counter++}`;
}

/** A private (0700) runtime directory for one test file; remove it with `dispose`. */
export function privateRuntimeDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pbms-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A raw single-slot address unique to this run. */
export function uniqueSlot(runtimeDir: string, what: string): string {
  return onWindows ? `\\\\.\\mailslot\\pbtest\\${process.pid}-${what}-${counter++}` : join(runtimeDir, `${what}-${counter++}.sock`);
}

/** What a subscriber child reported. */
export interface Subscriber {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly events: Array<{ topic: string; payload: unknown }>;
  /** Resolves when `n` events arrived (rejects after `boundMs`). */
  eventsReceived(n: number, boundMs: number): Promise<void>;
  /** Asks the child to close its bus and waits for it to exit. */
  stop(): Promise<void>;
  /** Resolves when the child exited. */
  readonly exited: Promise<number | null>;
}

/** Starts test/fixtures/subscriber.ts in a child process; resolves once it subscribed. */
export function spawnSubscriber(address: string, pattern: string, runtimeDir: string, boundMs = 20_000): Promise<Subscriber> {
  const child = fork(RUN_TS, [join(__dirname, 'fixtures', 'subscriber.ts'), address, pattern, runtimeDir], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execPath: process.execPath,
  });
  const events: Array<{ topic: string; payload: unknown }> = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscriber ${child.pid} not ready within ${boundMs} ms`)), boundMs);
    child.once('exit', (code) => reject(new Error(`subscriber exited with ${code} before it was ready`)));
    child.on('message', (m: { type: string; pid?: number; topic?: string; payload?: unknown; message?: string }) => {
      if (m.type === 'error') reject(new Error(`subscriber failed: ${m.message}`));
      if (m.type === 'event') {
        events.push({ topic: m.topic!, payload: m.payload });
        for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve();
      }
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        child,
        pid: m.pid!,
        events,
        exited,
        eventsReceived: (n, bound) =>
          events.length >= n
            ? Promise.resolve()
            : new Promise<void>((ok, fail) => {
                const t = setTimeout(() => fail(new Error(`subscriber ${m.pid} got ${events.length} of ${n} events within ${bound} ms`)), bound);
                waiters.push({ n, resolve: () => (clearTimeout(t), ok()) });
              }),
        stop: async () => {
          if (child.connected) child.send({ type: 'close' });
          await exited;
        },
      });
    });
  });
}

/** The BusError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function busError(p: Promise<unknown>): Promise<BusError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof BusError) return error;
    throw error;
  }
  throw new Error('expected a BusError, but it resolved');
}
