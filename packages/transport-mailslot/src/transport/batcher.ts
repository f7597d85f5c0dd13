import { BusError } from '@pipebus/core';
import { FRAME_TAKEN } from '@pipebus/core/transport-kit';
import { BATCH_BYTE, BATCH_ENTRY_HEADER, BATCH_FORMAT, BATCH_HEADER, MAX_BATCHED_FRAME, MAX_BATCH_BYTES, MAX_BATCH_FRAMES, isBatch } from './batch.js';

/** Where a batch goes: the fan-out's send (one datagram to every target, in order). */
export type SendDatagram = (datagram: Uint8Array) => Promise<void>;

/**
 * What a group writer adds to a plain {@link Batcher}: frames are taken into
 * the open batch at once while no earlier send waits.
 */
export interface TakeAtOnce {
  /** True while no send of this transport waits (for a full reader, or on the pool). */
  readonly idle: () => boolean;
  /**
   * Run when a batch opens: throws what a send would throw now (the registry
   * directory replaced after start), so the frame opening it is refused
   * rather than taken and lost.
   */
  readonly check: () => void;
  /** Where a failed batch's error goes when some of its frames were already taken (no caller waits for them). */
  readonly lost: (error: unknown, frames: number) => void;
}

/**
 * Collects the frames sent during one turn of the event loop and sends them
 * as one batch datagram (see batch.ts) at the turn's end (`setImmediate`), or
 * sooner when the next frame would not fit in the batch (`frameSize`, at most
 * {@link MAX_BATCH_BYTES}) or it holds {@link MAX_BATCH_FRAMES}. Frames of a
 * batch share its promise: it resolves when the fan-out's send of the batch
 * does (the kernel took it for every listener), so backpressure and errors
 * are what they were per frame, and nothing waits in memory beyond one open
 * batch per transport plus what the fan-out queues behind a full reader.
 *
 * With {@link TakeAtOnce} (group writers), a frame copied into the open batch
 * while no send waits is taken at once (`FRAME_TAKEN`), as a socket's buffer
 * takes a write: a publisher with a few sends in flight then fills a whole
 * batch (hundreds of frames) instead of one window's worth per turn, and each
 * listener wakes once per batch rather than once per window. Once a send
 * waits, frames get the open batch's promise again, so a full reader still
 * holds the publisher back; the error of a batch whose frames were taken goes
 * to `lost` (the frames behind it, waiting in the next batch, get their own).
 *
 * A frame is copied into the batch when added (the caller may reuse its
 * bytes at once). A frame too large to share a datagram is sent alone,
 * after the open batch (order is kept).
 */
export class Batcher {
  readonly #limit: number;
  #buf: Buffer | undefined;
  #at = BATCH_HEADER;
  #count = 0;
  /** Frames of the open batch taken at once (see {@link TakeAtOnce}). */
  #taken = 0;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #promise: Promise<void> | undefined;
  #scheduled = false;
  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** @param atOnce - take frames at once while nothing waits (group writers); see {@link TakeAtOnce}. */
  constructor(
    private readonly send: SendDatagram,
    frameSize: number,
    private readonly atOnce?: TakeAtOnce,
  ) {
    this.#limit = Math.min(frameSize, MAX_BATCH_BYTES);
  }

  /** Adds `frame` to the open batch; the promise settles with the batch's send. */
  add(frame: Uint8Array): Promise<void> {
    const cost = BATCH_ENTRY_HEADER + frame.byteLength;
    if (frame.byteLength > MAX_BATCHED_FRAME || BATCH_HEADER + cost > this.#limit) {
      this.flush();
      // Alone, it would read as a batch to the receiver; too large to wrap, it is refused.
      if (isBatch(frame)) {
        return Promise.reject(new BusError('INVALID_ARGUMENT', `a ${frame.byteLength}-byte frame starting with byte 0x1f reads as a batch to mailslot readers and is too large to wrap in one (${this.#limit} bytes); send it through a transport opened with raw: true or batch: false`));
      }
      return this.send(frame);
    }
    if (this.#at + cost > this.#limit || this.#count >= MAX_BATCH_FRAMES) this.flush();
    const atOnce = this.atOnce;
    if (atOnce !== undefined && this.#count === 0) {
      try {
        atOnce.check();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const buf = (this.#buf ??= Buffer.allocUnsafe(this.#limit));
    buf.writeUInt16LE(frame.byteLength, this.#at);
    buf.set(frame, this.#at + BATCH_ENTRY_HEADER);
    this.#at += cost;
    this.#count++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onTick);
    }
    if (atOnce !== undefined && atOnce.idle()) {
      this.#taken++;
      return FRAME_TAKEN;
    }
    return (this.#promise ??= new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject })));
  }

  /** Sends the open batch now (before close, or when the next frame would not fit). */
  flush(): void {
    const buf = this.#buf;
    if (buf === undefined || this.#count === 0) return;
    const settle = this.#settle;
    const count = this.#count;
    const taken = this.#taken;
    const end = this.#at;
    this.#at = BATCH_HEADER;
    this.#count = 0;
    this.#taken = 0;
    this.#settle = undefined;
    this.#promise = undefined;
    let datagram: Uint8Array;
    if (count === 1 && buf[BATCH_HEADER + BATCH_ENTRY_HEADER] !== BATCH_BYTE) {
      // One frame goes as itself: no header to pay, and readable by readers that predate batches.
      datagram = buf.subarray(BATCH_HEADER + BATCH_ENTRY_HEADER, end);
    } else {
      buf[0] = BATCH_BYTE;
      buf[1] = BATCH_FORMAT;
      buf.writeUInt16LE(count, 2);
      datagram = buf.subarray(0, end);
    }
    let sent: Promise<void>;
    try {
      sent = this.send(datagram);
    } catch (error) {
      sent = Promise.reject(error);
    }
    // Written at once (FRAME_TAKEN): the buffer is free for the next batch; otherwise a write in
    // flight or waiting still reads it, and the next batch gets a buffer of its own.
    if (sent === FRAME_TAKEN) {
      settle?.resolve();
      return;
    }
    this.#buf = undefined;
    if (settle !== undefined) sent.then(settle.resolve, settle.reject);
    // Frames taken at once have no caller waiting: their loss is reported, not dropped silently.
    if (taken !== 0) sent.catch((error: unknown) => this.atOnce?.lost(error, taken));
  }
}
