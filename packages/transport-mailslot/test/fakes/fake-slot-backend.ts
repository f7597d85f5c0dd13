import { BusError, type Clock, type TimerHandle } from '@pipebus/core';
import type { Datagram, SlotBackend, SlotReader, SlotWriter, WaitResult, WriteOutcome } from '../../src/backend/slot-backend.js';

/** One slot of the fake: a queue of messages, and a switch that makes it refuse writes (a full queue). */
export class FakeReader implements SlotReader {
  readonly queue: Uint8Array[] = [];
  /** `max` of each drain() call and how many it read. */
  readonly drains: Array<{ max: number; read: number }> = [];
  full = false;
  /** Writes still to refuse before this reader takes one (a reader that is read, then filled by others). */
  refusals = 0;
  closed = false;
  constructor(readonly path: string) {}

  drain(max: number, emit: (datagram: Datagram) => void): number {
    const batch = this.queue.splice(0, max);
    for (const data of batch) emit({ data, sender: { id: 'fake-writer', pid: 1 } });
    this.drains.push({ max, read: batch.length });
    return batch.length;
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * A mailslot OS backend in memory, on a test's clock: writers deliver into
 * readers by path; a reader set `full` refuses ('full', as EAGAIN) until
 * {@link FakeSlotBackend.setFull} frees it; the loop's blocking `wait` is a
 * promise the test settles ({@link FakeSlotBackend.wakeWait},
 * {@link FakeSlotBackend.failWait}) or a write or wake() ends.
 */
export class FakeSlotBackend implements SlotBackend {
  readonly platform = 'posix' as const;
  readonly readers = new Map<string, FakeReader>();
  /** Calls of wait(), and the timeout each was given. */
  readonly waits: number[] = [];
  #wait: { resolve: (r: WaitResult[]) => void; reject: (e: unknown) => void } | undefined;
  #waitCalled: Array<{ n: number; resolve: () => void }> = [];
  readonly #writable = new Set<() => void>();
  /** How often a writer's waitWritable wakes when no reader is freed (a reader reading a little, as POLLOUT would tell). */
  pollEveryMs = 100;

  constructor(private readonly clock: Clock) {}

  createReader(path: string): SlotReader {
    if (this.readers.has(path)) throw new BusError('ADDRESS_IN_USE', `fake: ${path} has a reader`);
    const reader = new FakeReader(path);
    this.readers.set(path, reader);
    return reader;
  }

  createWriter(): SlotWriter {
    return new FakeWriter(this, this.clock);
  }

  wait(_readers: readonly SlotReader[], timeoutMs: number): Promise<WaitResult[]> {
    this.waits.push(timeoutMs);
    for (const w of this.#waitCalled.filter((w) => this.waits.length >= w.n)) w.resolve();
    return new Promise((resolve, reject) => (this.#wait = { resolve, reject }));
  }

  wake(): void {
    this.wakeWait();
  }

  isProcessAlive(): boolean {
    return true;
  }

  /** Resolves once wait() was called `n` times in all. */
  waitCalled(n: number): Promise<void> {
    if (this.waits.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waitCalled.push({ n, resolve }));
  }

  /** Ends the pending wait as a real one ends when a message arrives (the loop then drains). */
  wakeWait(): void {
    const w = this.#wait;
    this.#wait = undefined;
    w?.resolve([]);
  }

  /** Fails the pending wait, as an OS error would. */
  failWait(error: BusError): void {
    const w = this.#wait;
    this.#wait = undefined;
    w?.reject(error);
  }

  /** Makes a reader refuse (true) or take (false) writes; freeing it ends writers' waitWritable. */
  setFull(path: string, full: boolean): void {
    this.readers.get(path)!.full = full;
    if (!full) for (const notify of [...this.#writable]) notify();
  }

  /** Called by writers: delivers into the reader at `path`. */
  deliver(path: string, data: Uint8Array): WriteOutcome {
    const reader = this.readers.get(path);
    if (reader === undefined || reader.closed) throw new BusError('NOT_FOUND', `fake: nobody reads ${path}`, { osName: 'ENOENT' });
    if (reader.full) return 'full';
    if (reader.refusals > 0) {
      reader.refusals--;
      return 'full';
    }
    reader.queue.push(data);
    this.wakeWait();
    return 'sent';
  }

  /** Called by writers: runs `notify` when any reader is freed; returns the unsubscribe. */
  onWritable(notify: () => void): () => void {
    this.#writable.add(notify);
    return () => this.#writable.delete(notify);
  }
}

/** Writes into a {@link FakeSlotBackend}; waits for room like Linux's POLLOUT, bounded on the transport's clock. */
class FakeWriter implements SlotWriter {
  readonly #pending = new Set<() => void>();
  constructor(private readonly backend: FakeSlotBackend, private readonly clock: Clock) {}

  write(path: string, data: Uint8Array): WriteOutcome {
    return this.backend.deliver(path, data);
  }

  waitWritable(_paths: readonly string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        off();
        this.#pending.delete(done);
        resolve();
      };
      const off = this.backend.onWritable(done);
      this.#pending.add(done);
      timer = this.clock.setTimeout(done, Math.min(timeoutMs, this.backend.pollEveryMs));
    });
  }

  forget(): void {}

  close(): void {
    for (const done of [...this.#pending]) done();
  }
}
