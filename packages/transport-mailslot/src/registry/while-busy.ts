/** How many times a registry call is tried while the OS says the directory is busy. */
export const BUSY_TRIES = 20;
/** The pause between two tries, in ms: the tries span at most ~20 ms. */
export const BUSY_PAUSE_MS = 1;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `call`, trying again (at most {@link BUSY_TRIES} times, {@link BUSY_PAUSE_MS}
 * apart) while it fails with `EBUSY`. On Windows a member leaving the group
 * tries to rmdir() the group directory (refused unless it is empty), and for
 * the moment that takes another process's opendir() or file create in that
 * directory fails with EBUSY (a sharing violation): a publish then failed with
 * OS_ERROR for a lock that lasts microseconds. Synchronous, as the registry's
 * calls are; any other error, or EBUSY past the bound, is thrown as it was.
 */
export function whileBusy<T>(call: () => T, sleep: (ms: number) => void = sleepSync): T {
  for (let tries = 1; ; tries++) {
    try {
      return call();
    } catch (error) {
      if ((error as NodeJS.ErrnoException | null)?.code !== 'EBUSY' || tries >= BUSY_TRIES) throw error;
      sleep(BUSY_PAUSE_MS);
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}
