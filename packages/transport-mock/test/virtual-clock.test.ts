import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '@pipebus/transport-mock';

describe('VirtualClock', () => {
  it('starts at the configured time and moves only when advanced', async () => {
    const clock = new VirtualClock(1_000);
    expect(clock.now()).toBe(1_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_250);
    expect(new VirtualClock().now()).toBe(0);
  });

  it('fires due timers in time order, then creation order, at their due time', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    await clock.advance(30);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers).toBe(1);
  });

  it('lets promise callbacks run between timers, so a reaction can schedule the next timer in time', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      // Reacts through a promise, as async code under test would.
      void Promise.resolve().then(() => {
        if (fired.length < 3) clock.setTimeout(tick, 10);
      });
    };
    clock.setTimeout(tick, 10);
    await clock.advance(100);
    expect(fired).toEqual([10, 20, 30]);
  });

  it('does not fire a cleared timer', async () => {
    const clock = new VirtualClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle); // twice is harmless
    await clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runAll fires every timer however far ahead', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 60_000);
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 1);
    await clock.runAll();
    expect(fired).toEqual([6, 60_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runAll throws on an endless timer loop instead of hanging', async () => {
    const clock = new VirtualClock();
    const heartbeat = (): void => void clock.setTimeout(heartbeat, 1_000);
    heartbeat();
    await expect(clock.runAll(50)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(clock.now()).toBe(50_000);
  });

  it('rejects a negative advance', async () => {
    await expect(new VirtualClock().advance(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
