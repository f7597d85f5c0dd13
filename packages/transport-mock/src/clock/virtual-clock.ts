import { BusError, type Clock, type TimerHandle } from '@pipebus/core';

interface VirtualTimer {
  readonly due: number;
  /** Creation order: breaks ties between timers due at the same instant. */
  readonly seq: number;
  readonly fn: () => void;
}

/** The handle a {@link VirtualClock} returns; opaque to callers. */
class VirtualTimerHandle {
  constructor(readonly seq: number) {}
}

/**
 * Lets promise callbacks that are already queued run, including chains of
 * them: one macrotask turn drains the whole microtask queue. This is a yield,
 * not a sleep — no time passes on any clock.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A {@link Clock} whose time moves only when a test says so, so timeouts,
 * delays and retries run instantly and the same way every time.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const bus = new MessageBus({ clock, transport });
 * const reply = bus.request('slow.method', {});   // times out after 5 s
 * await clock.advance(5_000);
 * await expect(reply).rejects.toMatchObject({ code: 'TIMEOUT' });
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, VirtualTimer>();

  /** @param startTime the value `now()` returns before any `advance` (default 0). */
  constructor(startTime = 0) {
    if (!Number.isFinite(startTime)) throw new BusError('INVALID_ARGUMENT', `VirtualClock start time must be a finite number, got ${startTime}`);
    this.#now = startTime;
  }

  /** Current virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules `fn` at `now() + ms`. Like Node, a negative or non-numeric
   * delay means "as soon as possible" (the next `advance`, even `advance(0)`).
   */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const seq = ++this.#seq;
    this.#timers.set(seq, { due: this.#now + delay, seq, fn });
    return new VirtualTimerHandle(seq);
  }

  /** Cancels a timer; a no-op for fired, cancelled or foreign handles. */
  clearTimeout(handle: TimerHandle): void {
    if (handle instanceof VirtualTimerHandle) this.#timers.delete(handle.seq);
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way
   * in time order (creation order for equal times). Time is set to each
   * timer's due time before it fires, and pending promise callbacks run
   * between timers, so code that reacts to one timer (and schedules another)
   * behaves as it would in real time. Ends at exactly `now() + ms`.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new BusError('INVALID_ARGUMENT', `advance() takes a finite, non-negative number of milliseconds, got ${ms}`);
    }
    const target = this.#now + ms;
    await settle();
    for (let next = this.#earliest(); next !== undefined && next.due <= target; next = this.#earliest()) {
      this.#fire(next);
      await settle();
    }
    this.#now = target;
  }

  /**
   * Fires timers until none is left, however far ahead they are. Throws
   * after `maxTimers` firings, because a timer that always schedules another
   * (a heartbeat, a retry loop) would otherwise never let this return.
   */
  async runAll(maxTimers = 10_000): Promise<void> {
    await settle();
    let fired = 0;
    for (let next = this.#earliest(); next !== undefined; next = this.#earliest()) {
      if (fired >= maxTimers) {
        throw new BusError(
          'INTERNAL',
          `runAll() fired ${maxTimers} timers and ${this.#timers.size} are still pending: a timer keeps re-scheduling itself (heartbeat, retry loop); stop it, or use advance(ms) to run a bounded span of time`,
          { details: { maxTimers, pending: this.#timers.size, now: this.#now } },
        );
      }
      this.#fire(next);
      fired++;
      await settle();
    }
  }

  #earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer;
    }
    return best;
  }

  #fire(timer: VirtualTimer): void {
    this.#timers.delete(timer.seq);
    // Time never runs backwards, even for a timer scheduled "in the past".
    this.#now = Math.max(this.#now, timer.due);
    timer.fn();
  }
}
