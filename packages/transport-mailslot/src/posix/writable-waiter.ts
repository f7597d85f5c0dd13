import { BusError } from '@pipebus/core';
import { E, type Libc } from './libc.js';
import { posixError } from '../advice/os-advice.js';
import { WakePair } from './wake-pair.js';

/**
 * Longest single poll(). A wait holds a libuv pool thread (4 by default, one
 * of them already the reader loop's, the others shared with fs and dns), so a
 * long wait is a loop of short ones that lets queued pool work run between.
 */
export const POLL_SLICE_MS = 50;

interface Wait {
  readonly fds: readonly number[];
  /**
   * Date.now(), not a transport's Clock: the waiter is one per process (not
   * per transport) and this deadline bounds poll(2) slices on a pool thread,
   * which pass in real time. The send's own deadline is on the transport's
   * clock (transport/send-retry.ts), which asks here for at most what is left.
   */
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: BusError) => void;
}

/**
 * Waits for connected datagram sockets to become writable: on Linux a
 * connected unix datagram socket reports POLLOUT only when its peer's receive
 * queue has room, and the kernel wakes the poll as soon as the peer reads.
 *
 * One per process, like the reader loop: every send of the process that met a
 * full listener queue is served by a single poll() in flight on the libuv pool
 * (plus a wake-up pair, so a new wait or a close cuts it short), so however
 * many transports wait, at most one pool thread is taken. The event loop never
 * blocks.
 */
export class WritableWaiter {
  readonly #waits = new Set<Wait>();
  /** Sockets the poll() in flight watches: they are closed only after it returns, or their numbers could be reused under it. */
  #watched: ReadonlySet<number> = new Set();
  readonly #closeAfterPoll: Array<{ fd: number; done: () => void }> = [];
  #polling = false;
  #running = false;
  #wake: WakePair | undefined;

  constructor(private readonly lib: Libc) {}

  /**
   * Resolves when one of `fds` reports POLLOUT (or an error or hang-up, which
   * the next send names), after `timeoutMs`, or when {@link cancel}led.
   * Rejects with BusError `OS_ERROR` when poll() itself fails.
   */
  wait(fds: readonly number[], timeoutMs: number): Promise<void> {
    try {
      this.#wake ??= new WakePair(this.lib, 'the writable wait');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waits.add({ fds, deadline: Date.now() + timeoutMs, resolve, reject });
      // A poll in flight does not watch the new sockets yet: restart it with them.
      if (this.#polling) this.#wake!.wake();
      else if (!this.#running) void this.#run();
    });
  }

  /** Ends every wait on one of `fds` now (their sockets are about to close). */
  cancel(fds: ReadonlySet<number>): void {
    for (const wait of this.#waits) {
      if (!wait.fds.some((fd) => fds.has(fd))) continue;
      this.#waits.delete(wait);
      wait.resolve();
    }
  }

  /** Closes `fd` now, or as soon as the poll() in flight that watches it returns (cut short). */
  close(fd: number): Promise<void> {
    if (!this.#watched.has(fd)) {
      this.lib.close(fd);
      return Promise.resolve();
    }
    return new Promise((done) => {
      this.#closeAfterPoll.push({ fd, done });
      this.#wake!.wake();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waits.size > 0) await this.#pollOnce(this.#wake!);
    } finally {
      this.#running = false;
    }
  }

  async #pollOnce(wake: WakePair): Promise<void> {
    const { c } = this.lib;
    const waits = [...this.#waits];
    const fds = [...new Set(waits.flatMap((w) => w.fds))];
    const nearest = Math.min(...waits.map((w) => w.deadline));
    const timeoutMs = Math.max(0, Math.min(POLL_SLICE_MS, nearest - Date.now()));
    const pollfds = Buffer.alloc(8 * (fds.length + 1));
    pollfds.writeInt32LE(wake.fd, 0);
    pollfds.writeInt16LE(c.POLLIN, 4);
    fds.forEach((fd, i) => {
      pollfds.writeInt32LE(fd, (i + 1) * 8);
      pollfds.writeInt16LE(c.POLLOUT, (i + 1) * 8 + 4);
    });
    this.#watched = new Set(fds);
    this.#polling = true;
    const outcome = await new Promise<{ ready: number; errno: number } | { error: unknown }>((resolve) => {
      // pollfds lives in this closure until koffi calls back.
      this.lib.poll.async(pollfds, fds.length + 1, timeoutMs, (error, ready) => {
        if (error) {
          resolve({ error });
          return;
        }
        if (ready >= 0) {
          resolve({ ready, errno: 0 });
          return;
        }
        // The failed poll ran on a pool thread, whose errno this thread cannot
        // read: asking again without waiting, here, either names the error
        // (EINVAL, ENOMEM) or, after a passing EINTR, gives the answer.
        const again = this.lib.poll(pollfds, fds.length + 1, 0);
        resolve({ ready: again, errno: again < 0 ? this.lib.errno() : 0 });
      });
    });
    this.#polling = false;
    this.#watched = new Set();
    wake.drain();
    for (const { fd, done } of this.#closeAfterPoll.splice(0)) {
      this.lib.close(fd);
      done();
    }
    if ('error' in outcome || (outcome.ready < 0 && outcome.errno !== E.EINTR)) {
      const error = 'error' in outcome
        ? new BusError('OS_ERROR', `waiting for a full mailslot reader failed: ${String(outcome.error)}`, { cause: outcome.error })
        : posixError('poll', outcome.errno, 'the sockets of full mailslot readers');
      for (const wait of this.#waits) wait.reject(error);
      this.#waits.clear();
      return;
    }
    const writable = new Set<number>();
    if (outcome.ready > 0) {
      fds.forEach((fd, i) => {
        if (pollfds.readInt16LE((i + 1) * 8 + 6) !== 0) writable.add(fd);
      });
    }
    const now = Date.now();
    for (const wait of this.#waits) {
      if (now < wait.deadline && !wait.fds.some((fd) => writable.has(fd))) continue;
      this.#waits.delete(wait);
      wait.resolve();
    }
  }
}
