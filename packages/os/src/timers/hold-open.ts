import type { TimerHandle } from '@pipebus/core';

/**
 * Makes a timer of a transport's clock keep the process alive, as a plain
 * `setTimeout` does. `systemClock` unrefs its timers (a request timeout must
 * not keep a process alive on its own), but some waits are the only thing a
 * transport has in flight: a client polling for its server under
 * `connectTimeout` or backing off between reconnects, a reader pausing after a
 * failed wait, a sender polling a full slot. Unref'd, Node would exit in the
 * middle of them with `start()` never settled. A no-op for handles without
 * `ref()` (a virtual clock's).
 */
export function holdOpen<H extends TimerHandle>(handle: H): H {
  (handle as { ref?: () => unknown }).ref?.();
  return handle;
}
