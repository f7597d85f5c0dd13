import { describe, expect, it } from '@jest/globals';
import type { Clock } from '@pipebus/core';
import { ReadDeadlines, type DeadlineOptions } from '../src/link/read-deadlines.js';

/** A manual core Clock, synchronous (VirtualClock's advance is async): time moves only when the test says so. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let next = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      timers.set(++next, { at: now + ms, fn });
      return { id: next };
    },
    clearTimeout(handle) {
      timers.delete((handle as { id: number }).id);
    },
    advance(ms) {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now && timers.delete(id)) t.fn();
      }
    },
    pending: () => timers.size,
  };
}

const OPTIONS: DeadlineOptions = { firstFrameMs: 10_000, frameMs: 30_000 };

function deadlines(options: DeadlineOptions = OPTIONS) {
  const clock = manualClock();
  const expired: string[] = [];
  const d = new ReadDeadlines(options, clock, (reason) => expired.push(reason));
  return { clock, expired, d };
}

describe('ReadDeadlines', () => {
  it('cuts a peer that sends no complete frame within firstFrameTimeout, trickling or silent', () => {
    const { clock, expired, d } = deadlines();
    clock.advance(5_000);
    d.onRead(0, true); // one byte of a prefix
    clock.advance(4_999);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual([expect.stringMatching(/no complete frame within 10000 ms.*firstFrameTimeout/)]);
  });

  it('lets a peer stay idle for hours between whole frames', () => {
    const { clock, expired, d } = deadlines();
    d.onRead(1, false);
    clock.advance(5 * 3600_000);
    d.onRead(2, false);
    clock.advance(5 * 3600_000);
    expect(expired).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('gives each frame frameTimeout from its first byte, however slowly it trickles', () => {
    const { clock, expired, d } = deadlines();
    d.onRead(1, true); // frame 1 done, frame 2 started in the same read
    for (let i = 0; i < 29; i++) {
      clock.advance(1_000);
      d.onRead(1, true); // a byte a second of frame 2: still the same frame
    }
    expect(expired).toEqual([]);
    clock.advance(1_000);
    expect(expired).toEqual([expect.stringMatching(/did not finish it within 30000 ms.*frameTimeout/)]);
  });

  it('restarts the frame deadline when a frame finishes and the next one starts in the same read', () => {
    const { clock, expired, d } = deadlines();
    d.onRead(1, true);
    clock.advance(20_000);
    d.onRead(2, true); // frame 2 finished, frame 3 began
    clock.advance(20_000);
    expect(expired).toEqual([]);
    clock.advance(10_000);
    expect(expired).toHaveLength(1);
  });

  it('stops both deadlines when the link closes, and 0 turns one off', () => {
    const { clock, expired, d } = deadlines();
    d.onRead(0, true);
    d.stop();
    clock.advance(100_000);
    expect(expired).toEqual([]);
    const off = deadlines({ firstFrameMs: 0, frameMs: 0 });
    off.d.onRead(0, true);
    off.clock.advance(100_000);
    expect(off.expired).toEqual([]);
    expect(off.clock.pending()).toBe(0);
  });

  it('idleTimeout: cuts a peer with no complete frame for that long, counted from connecting or its last frame', () => {
    const { clock, expired, d } = deadlines({ ...OPTIONS, idleMs: 60_000 });
    d.onRead(1, false); // the hello, at once
    clock.advance(59_999);
    d.onRead(1, true); // a byte of a frame is not a frame
    clock.advance(1);
    expect(expired).toEqual([expect.stringMatching(/no complete frame for 60000 ms \(idleTimeout\)/)]);
    const active = deadlines({ ...OPTIONS, idleMs: 60_000 });
    for (let n = 1; n <= 10; n++) {
      active.d.onRead(n, false);
      active.clock.advance(59_000);
    }
    expect(active.expired).toEqual([]);
    active.d.stop();
    expect(active.clock.pending()).toBe(0);
  });
});
