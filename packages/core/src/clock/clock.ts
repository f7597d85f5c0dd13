/** A handle returned by {@link Clock.setTimeout}, opaque to callers. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * The time source the bus and transports use for every timeout. Injected so
 * that tests drive time (see `VirtualClock` in `@pipebus/transport-mock`)
 * instead of sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a no-op for fired or cancelled timers. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Longest delay one Node timer takes: 2^31 - 1 ms (about 24.8 days); Node
 * fires a longer one after 1 ms, with a `TimeoutOverflowWarning`. The one
 * home of this limit: the bus's timeout checks and the reassembler's use it.
 */
export const MAX_TIMER_MS = 0x7fff_ffff;

/**
 * A wait longer than one Node timer can take, as a chain of timers; its
 * handle follows the chain so that `clearTimeout` stops whichever link is
 * pending.
 */
class ChainedTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly fn: () => void,
    private readonly deadline: number,
  ) {
    this.#schedule();
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const left = this.deadline - performance.now();
    if (left <= 0) {
      this.#timer = undefined;
      this.fn();
      return;
    }
    this.#timer = setTimeout(() => this.#schedule(), Math.min(left, MAX_TIMER_MS));
    this.#timer.unref?.();
  }
}

/**
 * The real clock: `performance.now()` and Node timers. Timers are `unref`ed
 * so a pending request timeout never keeps a process alive on its own. A
 * delay beyond what one Node timer takes (2^31 - 1 ms, about 24.8 days)
 * really waits, as a chain of timers, instead of firing at once; `Infinity`
 * never fires.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    if (ms > MAX_TIMER_MS) return new ChainedTimer(fn, performance.now() + ms);
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    if (handle instanceof ChainedTimer) handle.cancel();
    else clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
