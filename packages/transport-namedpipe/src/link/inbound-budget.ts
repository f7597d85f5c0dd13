/**
 * What a {@link FrameDecoder} asks before it grows the buffer of an unfinished
 * frame, and tells when it hands the frame out. Without one it grows freely
 * (a client: one link, bounded by maxFrameSize).
 */
export interface FrameMemory {
  /** Takes `bytes` more for the unfinished frame; false when they are not available now. */
  take(bytes: number): boolean;
  /** The frame is complete (or abandoned): everything it took is free again. */
  release(): void;
}

/** One link's share of an {@link InboundBudget}. */
export interface InboundAccount extends FrameMemory {
  /**
   * Queues for `bytes` (the rest of the frame a refused `take` was for);
   * `granted` runs once they are taken on this account's behalf.
   */
  request(bytes: number, granted: () => void): void;
  /** The link is gone: releases what it held and leaves the queue. */
  close(): void;
}

interface Account extends InboundAccount {
  held: number;
  /** Part of `held` that came from the lane. */
  lane: number;
  /** What it queued for, while queued. */
  wanted: number;
  granted: (() => void) | undefined;
  closed: boolean;
}

/**
 * A server-wide bound on the bytes held by unfinished inbound frames, across
 * all its links (`maxInboundBufferBytes`). Each link's decoder grows its
 * buffer with the bytes that arrive; here each growth is charged. When the
 * budget cannot cover one, that link stops reading (the OS then holds the
 * peer's bytes, and the peer's writes block) and queues; links are served
 * first come, first served as frames complete or links close.
 *
 * Honest frames cannot deadlock each other: `lane` bytes (maxFrameSize) are
 * set apart, and lent to one queued link at a time, for the whole rest of its
 * frame, when the shared part cannot serve it. So one frame always makes
 * progress, however the shared part is split between unfinished frames; a
 * frame that never completes holds the lane until frameTimeout cuts its link.
 * A pure data structure: no sockets, no timers.
 */
export class InboundBudget {
  readonly #shared: number;
  readonly #lane: number;
  #used = 0;
  #laneHolder: Account | undefined;
  readonly #queue: Account[] = [];
  /** Times a link had to stop reading and queue. */
  waits = 0;

  /** `limit` bytes in all, of which `lane` (at most `limit`) are the lane. */
  constructor(limit: number, lane: number) {
    this.#lane = Math.min(lane, limit);
    this.#shared = limit - this.#lane;
  }

  /** Bytes held right now by unfinished frames, lane included. */
  get held(): number {
    return this.#used + (this.#laneHolder?.lane ?? 0);
  }

  /** Links stopped right now, waiting for room. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** A new link's account. */
  open(): InboundAccount {
    const account: Account = {
      held: 0, lane: 0, wanted: 0, granted: undefined, closed: false,
      take: (bytes) => this.#take(account, bytes),
      release: () => this.#release(account),
      request: (bytes, granted) => {
        if (account.closed) return;
        account.wanted = bytes;
        account.granted = granted;
        this.waits++;
        this.#queue.push(account);
        this.#pump();
      },
      close: () => {
        if (account.closed) return;
        account.closed = true;
        const at = this.#queue.indexOf(account);
        if (at >= 0) this.#queue.splice(at, 1);
        this.#release(account);
      },
    };
    return account;
  }

  #take(account: Account, bytes: number): boolean {
    if (account.closed) return false;
    // Whoever queued first is served first: a newcomer's small growth does not overtake them.
    if (this.#queue.length > 0 || this.#used + bytes > this.#shared) return false;
    this.#used += bytes;
    account.held += bytes;
    return true;
  }

  #release(account: Account): void {
    if (account.held === 0) return;
    this.#used -= account.held - account.lane;
    if (this.#laneHolder === account) this.#laneHolder = undefined;
    account.held = 0;
    account.lane = 0;
    this.#pump();
  }

  /** Serves the queue in order while the shared part, or else the free lane, can serve its head. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (this.#used + head.wanted <= this.#shared) {
        this.#used += head.wanted;
      } else if (this.#laneHolder === undefined && head.wanted <= this.#lane) {
        this.#laneHolder = head;
        head.lane = head.wanted;
      } else {
        return;
      }
      this.#queue.shift();
      head.held += head.wanted;
      const granted = head.granted!;
      head.granted = undefined;
      head.wanted = 0;
      // Not from inside another link's read (a release runs there): the link resumes on its own turn.
      queueMicrotask(granted);
    }
  }
}
