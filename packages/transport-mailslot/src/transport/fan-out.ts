import { BusError, type Clock } from '@pipebus/core';
import { FRAME_TAKEN } from '@pipebus/core/transport-kit';
import type { SlotWriter } from '../backend/slot-backend.js';
import type { GroupRegistry } from '../registry/group-registry.js';
import { pollingWait, retryUntilSent, type SendWait } from './send-retry.js';

/** Counters a {@link FanOut} keeps for `MailslotTransport.stats()`. */
export interface FanOutCounters {
  deliveries: number;
  sendRetries: number;
}

/** One slot to write to: a group listener (with its registry entry) or a single named slot. */
export interface Target {
  readonly path: string;
  readonly entry?: string;
  readonly pid?: number;
}

/**
 * Writes each frame to every target, in order: sends are serialised so a
 * frame waiting for a full queue is never overtaken by the next one (FIFO per
 * writer). A group listener that turns out to be gone (NOT_FOUND) is swept
 * from the registry and never written to again; a single slot's NOT_FOUND
 * goes to the caller. A frame refused by a full reader waits for the writer's
 * `waitWritable` where it has one, else retries on timers.
 */
export class FanOut {
  #tail: Promise<void> | undefined;
  /** Paths of the last send's targets: the writer forgets those that left, closing what it holds for them. */
  #known: ReadonlySet<string> = new Set();

  constructor(
    private readonly writer: SlotWriter,
    private readonly targets: () => readonly Target[],
    private readonly registry: GroupRegistry | undefined,
    private readonly counters: FanOutCounters,
    private readonly stopped: () => BusError | undefined,
    /** How long a frame waits for a full reader before the send fails with BUSY. */
    private readonly sendTimeoutMs: number,
    /** The transport's clock: the send deadline and the polling retries run on it. */
    private readonly clock: Clock,
  ) {}

  send(frame: Uint8Array): Promise<void> {
    if (this.writer.writeBlocking !== undefined) {
      const blocking = this.writer.writeBlocking.bind(this.writer);
      const run = (): Promise<void> => this.#writeEach(frame, blocking);
      return this.#track(this.#tail === undefined ? run() : this.#tail.then(run, run));
    }
    if (this.#tail === undefined) {
      // Fast path: nothing queued before us, try every write now.
      let left: Target[];
      try {
        left = this.#tryAll(frame, this.#targets());
      } catch (error) {
        return Promise.reject(error);
      }
      // Every target took it now: the bus attaches no reaction to FRAME_TAKEN.
      if (left.length === 0) return FRAME_TAKEN;
      return this.#track(this.#waitFor(frame, left));
    }
    const run = (): Promise<void> => {
      // Queued behind a send that was waiting when the transport closed: do not write (or connect) after close.
      const stop = this.stopped();
      if (stop !== undefined) throw stop;
      return this.#waitFor(frame, this.#tryAll(frame, this.#targets()));
    };
    return this.#track(this.#tail.then(run, run));
  }

  /** True while a send waits (for a full reader, or a write on the pool): later sends queue behind it. */
  get waiting(): boolean {
    return this.#tail !== undefined;
  }

  /**
   * Resolves once the sends queued so far have settled (whatever their outcome), or after
   * `boundMs` on the clock: close() waits here where writes run on the pool (Windows), so
   * that it does not close a handle under a WriteFile in flight.
   */
  idle(boundMs: number): Promise<void> {
    const tail = this.#tail;
    if (tail === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, boundMs);
      const done = (): void => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      tail.then(done, done);
    });
  }

  /** The current targets; a listener gone from them since the last send is forgotten by the writer. */
  #targets(): readonly Target[] {
    const targets = this.targets();
    const known = this.#known;
    if (targets.length === known.size && targets.every((t) => known.has(t.path))) return targets;
    const now = new Set(targets.map((t) => t.path));
    for (const path of known) if (!now.has(path)) this.writer.forget(path);
    this.#known = now;
    return targets;
  }

  #track(p: Promise<void>): Promise<void> {
    const tail = p.finally(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    this.#tail = tail;
    return tail;
  }

  async #waitFor(frame: Uint8Array, left: Target[]): Promise<void> {
    if (left.length === 0) return;
    let pending = left;
    const waitWritable = this.writer.waitWritable?.bind(this.writer);
    const wait: SendWait = waitWritable !== undefined ? (remainingMs) => waitWritable(pending.map((t) => t.path), remainingMs) : pollingWait(this.clock);
    await retryUntilSent(
      this.clock,
      this.sendTimeoutMs,
      () => (pending = this.#tryAll(frame, pending)).length,
      wait,
      this.stopped,
      () => this.counters.sendRetries++,
      () =>
        new BusError('BUSY', `${pending.length} mailslot reader(s) did not take a frame within ${this.sendTimeoutMs} ms (queue full, EAGAIN): ${pending.map((t) => t.path).join(', ')}; is the reading process stopped? (the wait is options.sendTimeoutMs)`, {
          osName: 'EAGAIN',
          details: { paths: pending.map((t) => t.path) },
        }),
    );
  }

  /** One target after the other, each write on the libuv pool (one pool thread per sending transport). */
  async #writeEach(frame: Uint8Array, write: (path: string, data: Uint8Array) => Promise<void>): Promise<void> {
    for (const target of this.#targets()) {
      const stop = this.stopped();
      if (stop !== undefined) throw stop;
      try {
        await write(target.path, frame);
        this.counters.deliveries++;
      } catch (error) {
        this.#gone(target, error);
      }
    }
  }

  /** A listener's slot with nobody reading it: its process died (or is closing right now). Anything else is the caller's. */
  #gone(target: Target, error: unknown): void {
    if (!BusError.is(error, 'NOT_FOUND') || target.entry === undefined || this.registry === undefined) throw error;
    this.writer.forget(target.path);
    this.registry.sweep(target.entry);
  }

  /** Writes to each target once; returns those whose queue was full. */
  #tryAll(frame: Uint8Array, targets: readonly Target[]): Target[] {
    const full: Target[] = [];
    for (const target of targets) {
      try {
        if (this.writer.write(target.path, frame) === 'sent') this.counters.deliveries++;
        else full.push(target);
      } catch (error) {
        this.#gone(target, error);
      }
    }
    return full;
  }
}
