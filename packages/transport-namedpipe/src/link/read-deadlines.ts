import type { Clock, TimerHandle } from '@pipebus/core';

/** The two inbound deadlines of a server's link, in ms; 0 turns one off. */
export interface DeadlineOptions {
  /** From connection to the first complete frame (raw mode: the first byte). */
  readonly firstFrameMs: number;
  /** From the first byte of a frame to its last. */
  readonly frameMs: number;
  /** From connecting, or the last complete frame, to the next complete frame (`idleTimeout`). Default 0: idle time is not limited. */
  readonly idleMs?: number;
}

/**
 * The time a peer may make us wait for bytes it owes. A slot in `maxClients`
 * and the buffer of an unfinished frame are what a slow peer holds; these
 * deadlines bound how long: a client must send its first frame soon after
 * connecting, and finish every frame it starts. Between whole frames a peer
 * may stay idle as long as it likes (a client may be quiet for hours).
 *
 * Pure bookkeeping over the transport's {@link Clock} (its `clock` option,
 * `systemClock` by default, whose timers are unref'd so a pending deadline
 * never keeps a process alive): the link reports what it read, this calls
 * `expire` with the reason when a deadline passes.
 */
export class ReadDeadlines {
  readonly #o: DeadlineOptions;
  readonly #clock: Clock;
  readonly #expire: (reason: string) => void;
  #first: TimerHandle | undefined;
  #frame: TimerHandle | undefined;
  /** Frames completed when the running frame deadline started: a different count means another frame. */
  #frameStartedAt = -1;
  #awaitingFirst: boolean;
  #stopped = false;
  #idle: TimerHandle | undefined;
  /** Frames completed when the idle deadline was last started. */
  #idleFrames = 0;

  constructor(options: DeadlineOptions, clock: Clock, expire: (reason: string) => void) {
    this.#o = options;
    this.#clock = clock;
    this.#expire = expire;
    this.#awaitingFirst = options.firstFrameMs > 0;
    if (this.#awaitingFirst) {
      this.#first = clock.setTimeout(() => this.#fire(`sent no complete frame within ${options.firstFrameMs} ms of connecting (firstFrameTimeout)`), options.firstFrameMs);
    }
    this.#armIdle();
  }

  /** (Re)starts the idle deadline; off unless `idleMs` > 0. Once per read that completed a frame, not per frame. */
  #armIdle(): void {
    const ms = this.#o.idleMs ?? 0;
    if (ms <= 0) return;
    this.#cancel(this.#idle);
    this.#idle = this.#clock.setTimeout(() => this.#fire(`sent no complete frame for ${ms} ms (idleTimeout)`), ms);
  }

  /**
   * After each read: `framesDone` counts the frames completed so far (raw mode:
   * chunks), `midFrame` says whether the read ended inside a frame.
   */
  onRead(framesDone: number, midFrame: boolean): void {
    if (this.#stopped) return;
    if (framesDone !== this.#idleFrames) {
      this.#idleFrames = framesDone;
      this.#armIdle();
    }
    if (this.#awaitingFirst && framesDone > 0) {
      this.#awaitingFirst = false;
      this.#cancel(this.#first);
    }
    if (this.#o.frameMs <= 0) return;
    if (!midFrame) {
      if (this.#frameStartedAt >= 0) {
        this.#cancel(this.#frame);
        this.#frameStartedAt = -1;
      }
      return;
    }
    // Still inside the frame the deadline is running for: it keeps running.
    if (this.#frameStartedAt === framesDone) return;
    if (this.#frameStartedAt >= 0) this.#cancel(this.#frame);
    this.#frameStartedAt = framesDone;
    const ms = this.#o.frameMs;
    this.#frame = this.#clock.setTimeout(() => this.#fire(`started a frame and did not finish it within ${ms} ms (frameTimeout)`), ms);
  }

  /** Cancels both deadlines (the link closed). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#awaitingFirst) this.#cancel(this.#first);
    if (this.#frameStartedAt >= 0) this.#cancel(this.#frame);
    if (this.#idle !== undefined) this.#cancel(this.#idle);
  }

  /** Clock.clearTimeout takes a handle; a deadline not armed yet has none. */
  #cancel(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#clock.clearTimeout(handle);
  }

  #fire(reason: string): void {
    if (this.#stopped) return;
    this.stop();
    this.#expire(reason);
  }
}
