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
 * The real clock: `performance.now()` and Node timers. Timers are `unref`ed
 * so a pending request timeout never keeps a process alive on its own.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
