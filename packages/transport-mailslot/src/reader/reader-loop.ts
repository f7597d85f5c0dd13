import { BusError, systemClock, type Clock, type TimerHandle } from '@pipebus/core';
import { holdOpen } from '@pipebus/os';
import type { Datagram, SlotBackend, SlotReader } from '../backend/slot-backend.js';

/** Where the loop hands what one slot received. */
export interface ReaderSink {
  deliver(datagram: Datagram): void;
  oversize(size: number): void;
  fail(error: BusError): void;
}

interface Entry {
  readonly sink: ReaderSink;
  readonly timeoutMs: number;
  /** The clock of the transport that owns the slot. */
  readonly clock: Clock;
}

/** Messages read from one slot per wake-up before the loop lets the event loop run. */
const MAX_DRAIN_PER_WAKE = 512;

/** Counters of the process's reader loop. */
export interface ReaderLoopStats {
  /** Slots read by this process right now. */
  slots: number;
  /** Completed blocking waits (a message, a wake-up or the read timeout). */
  waits: number;
  /** Messages read. */
  messages: number;
}

/**
 * The one reader loop of a process. Reads block, and a blocking koffi call
 * holds a libuv pool thread (4 by default, shared with fs and dns), so every
 * slot of the process is served by a single loop with a single blocking call
 * in flight: POSIX polls all sockets at once; Windows reads one slot with its
 * read timeout and then drains the others without blocking. Between waits the
 * loop drains every slot (up to {@link MAX_DRAIN_PER_WAKE} messages each), which
 * keeps POSIX writers out of EAGAIN. The loop runs only while a slot is open.
 */
export class ReaderLoop {
  static readonly #loops = new WeakMap<SlotBackend, ReaderLoop>();

  /** The process-wide loop of `backend`. */
  static of(backend: SlotBackend): ReaderLoop {
    let loop = ReaderLoop.#loops.get(backend);
    if (loop === undefined) {
      loop = new ReaderLoop(backend);
      ReaderLoop.#loops.set(backend, loop);
    }
    return loop;
  }

  readonly #entries = new Map<SlotReader, Entry>();
  /** Readers removed while a wait was in flight: closed when it returns. */
  readonly #closing = new Map<SlotReader, () => void>();
  #waiting = false;
  #running = false;
  readonly #stats: ReaderLoopStats = { slots: 0, waits: 0, messages: 0 };

  private constructor(private readonly backend: SlotBackend) {}

  stats(): ReaderLoopStats {
    return { ...this.#stats, slots: this.#entries.size };
  }

  /** Starts reading `reader`; what arrives goes to `sink`; the pause after a failed wait runs on `clock`. */
  add(reader: SlotReader, sink: ReaderSink, timeoutMs: number, clock: Clock = systemClock): void {
    this.#entries.set(reader, { sink, timeoutMs, clock });
    if (this.#running) this.backend.wake();
    else void this.#run();
  }

  /** Stops reading `reader` and closes it once no blocking call uses it (bounded by the read timeout). */
  remove(reader: SlotReader): Promise<void> {
    if (!this.#entries.delete(reader)) return Promise.resolve();
    if (!this.#waiting) {
      reader.close();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#closing.set(reader, resolve);
      this.backend.wake();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    let backlog = false;
    try {
      while (this.#entries.size > 0) {
        if (backlog) {
          // Readers still had messages: let timers and I/O run, then drain again without blocking.
          // A turn of the event loop, not time: it stays off the clock.
          await new Promise<void>((resolve) => setImmediate(resolve));
        } else {
          await this.#waitOnce();
        }
        backlog = this.#drainAll();
      }
    } finally {
      this.#running = false;
    }
  }

  async #waitOnce(): Promise<void> {
    const readers = [...this.#entries.keys()];
    const timeoutMs = Math.min(...[...this.#entries.values()].map((e) => e.timeoutMs));
    this.#waiting = true;
    try {
      const got = await this.backend.wait(readers, timeoutMs);
      this.#stats.waits++;
      for (const result of got) {
        this.#stats.messages++;
        const sink = this.#entries.get(result.reader)?.sink;
        if ('datagram' in result) sink?.deliver(result.datagram);
        else sink?.oversize(result.oversize);
      }
    } catch (error) {
      const e = BusError.is(error) ? error : new BusError('OS_ERROR', `the mailslot reader loop's wait failed: ${String(error)}`, { cause: error });
      for (const entry of this.#entries.values()) entry.sink.fail(e);
      // Not a synchronisation sleep: a bounded back-off so a persistent OS failure cannot spin.
      await this.#pause(timeoutMs);
    } finally {
      this.#waiting = false;
      for (const [reader, done] of this.#closing) {
        reader.close();
        done();
      }
      this.#closing.clear();
    }
  }

  /**
   * Waits `ms` on the clocks of the slots served: the loop is one per backend
   * and its slots may belong to transports with different clocks, so the
   * pause ends on whichever clock gets there first (one timer per distinct
   * clock, the others cancelled then).
   */
  #pause(ms: number): Promise<void> {
    const clocks = new Set([...this.#entries.values()].map((e) => e.clock));
    if (clocks.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timers = new Map<Clock, TimerHandle>();
      const done = (): void => {
        for (const [clock, timer] of timers) clock.clearTimeout(timer);
        timers.clear();
        resolve();
      };
      // Held open: while the loop pauses, nothing else keeps a listen-only process alive.
      for (const clock of clocks) timers.set(clock, holdOpen(clock.setTimeout(done, ms)));
    });
  }

  /** Drains every slot without blocking; true when one still had messages waiting. */
  #drainAll(): boolean {
    let backlog = false;
    for (const [reader, entry] of [...this.#entries]) {
      if (!this.#entries.has(reader)) continue;
      try {
        const n = reader.drain(
          MAX_DRAIN_PER_WAKE,
          (datagram) => entry.sink.deliver(datagram),
          (size) => entry.sink.oversize(size),
        );
        this.#stats.messages += n;
        if (n >= MAX_DRAIN_PER_WAKE) backlog = true;
      } catch (error) {
        entry.sink.fail(BusError.is(error) ? error : new BusError('OS_ERROR', `reading ${reader.path} failed: ${String(error)}`, { cause: error }));
      }
    }
    return backlog;
  }
}
