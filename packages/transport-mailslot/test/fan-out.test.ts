import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { MessageBus, silentLogger, systemClock, type Clock } from '@pipebus/core';
import { MailslotTransport, resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { privateRuntimeDir, spawnSubscriber, uniqueGroup, type Subscriber } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());

/** Child processes start slowly under Wine (a Windows node.exe each). */
const BOUND_MS = 60_000;

/**
 * @param batch - false where the test reads the counters right after a publish: a batching
 *   group writer takes a frame at once (into the open batch) and writes it at the turn's end.
 */
function publisher(address: string, clock: Clock = systemClock, batch = true): MessageBus {
  return new MessageBus(new MailslotTransport({ address, runtimeDir: runtime.dir, clock, batch }), { logger: silentLogger });
}

/**
 * Real time that the test can move forward at once. The Windows writer trusts
 * a cached slot handle for 1 s, and Wine accepts writes on one whose reader
 * died (they go nowhere): jumping past that age makes the next send re-open
 * the name and learn the listener is gone, whatever the machine's load.
 */
function jumpableClock(): Clock & { jump(ms: number): void } {
  let offset = 0;
  return {
    now: () => systemClock.now() + offset,
    setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms),
    clearTimeout: (handle) => systemClock.clearTimeout(handle),
    jump: (ms) => void (offset += ms),
  };
}

describe('mailslot group fan-out across processes', () => {
  it('delivers every message, in order, to each of 8 processes subscribed to orders.>', async () => {
    const address = uniqueGroup('fan8');
    const subscribers = await Promise.all(Array.from({ length: 8 }, () => spawnSubscriber(address, 'orders.>', runtime.dir, BOUND_MS)));
    const bus = publisher(address);
    const N = 200;
    try {
      await bus.start();
      for (let i = 0; i < N; i++) await bus.publish(i % 2 === 0 ? 'orders.eu.created' : 'orders.us.paid', { i });
      await bus.publish('invoices.created', { i: -1 }); // not matched: must not arrive
      await Promise.all(subscribers.map((s) => s.eventsReceived(N, BOUND_MS)));
      for (const s of subscribers) {
        expect(s.events.map((e) => (e.payload as { i: number }).i)).toEqual(Array.from({ length: N }, (_, i) => i));
      }
      expect((bus.transport as MailslotTransport).stats().listeners).toBe(8);
    } finally {
      await bus.close();
      await Promise.all(subscribers.map((s) => s.stop()));
    }
  }, BOUND_MS * 2);

  it('sweeps a listener killed with SIGKILL from the registry and never writes to it again', async () => {
    const address = uniqueGroup('sweep');
    const resolved = resolveMailslotAddress(address, { runtimeDir: runtime.dir });
    if (resolved.kind !== 'group') throw new Error('expected a group');
    const [alive, doomed] = (await Promise.all([spawnSubscriber(address, '>', runtime.dir, BOUND_MS), spawnSubscriber(address, '>', runtime.dir, BOUND_MS)])) as [Subscriber, Subscriber];
    const clock = jumpableClock();
    // One datagram per publish, written before the publish resolves: the counters below are per send.
    const bus = publisher(address, clock, false);
    const transport = bus.transport as MailslotTransport;
    try {
      await bus.start();
      await bus.publish('a.one', 1);
      await Promise.all([alive.eventsReceived(1, BOUND_MS), doomed.eventsReceived(1, BOUND_MS)]);
      expect(transport.stats().listeners).toBe(2);
      const entries = () => readdirSync(resolved.registryDir).filter((n) => n.endsWith('.listener'));
      expect(entries().some((n) => n.startsWith(`${doomed.pid}-`))).toBe(true);

      doomed.child.kill('SIGKILL');
      await doomed.exited;
      // Past the Windows writer's cached-handle age (on POSIX, which caches no handles, it only
      // makes the next send re-read the group's listing).
      clock.jump(60_000);
      const before = transport.stats();
      await bus.publish('a.two', 2);
      const after = transport.stats();
      expect(after.swept).toBe(before.swept + 1);
      expect(entries().some((n) => n.startsWith(`${doomed.pid}-`))).toBe(false);
      if (process.platform !== 'win32') expect(readdirSync(resolved.registryDir).some((n) => n.startsWith(`${doomed.pid}-`))).toBe(false);

      // From now on only the live listener is written to.
      await bus.publish('a.three', 3);
      const last = transport.stats();
      expect(last.listeners).toBe(1);
      expect(last.deliveries - after.deliveries).toBe(1);
      expect(last.swept).toBe(after.swept);
      await alive.eventsReceived(3, BOUND_MS);
      expect(alive.events.map((e) => e.payload)).toEqual([1, 2, 3]);
    } finally {
      await bus.close();
      await alive.stop();
    }
    expect(existsSync(resolved.registryDir) ? readdirSync(resolved.registryDir).filter((n) => n.endsWith('.listener')) : []).toEqual([]);
  }, BOUND_MS * 2);
});
