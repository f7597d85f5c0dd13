import { BusError } from '@pipebus/core';
import { FRAME_TAKEN } from '@pipebus/core/transport-kit';
import { BATCH_BYTE, BATCH_ENTRY_HEADER, BATCH_FORMAT, BATCH_HEADER, MAX_BATCHED_FRAME, MAX_BATCH_BYTES, MAX_BATCH_FRAMES, isBatch } from './batch.js';

/** Where a batch goes: the fan-out's send (one datagram to every target, in order). */
export type SendDatagram = (datagram: Uint8Array) => Promise<void>;

/**
 * Collects the frames sent during one turn of the event loop and sends them
 * as one batch datagram (see batch.ts) at the turn's end (`setImmediate`), or
 * sooner when the next frame would not fit in the batch (`frameSize`, at most
 * {@link MAX_BATCH_BYTES}) or it holds {@link MAX_BATCH_FRAMES}. Every frame of
 * a batch shares its promise: it resolves when the fan-out's send of the batch
 * does (the kernel took it for every listener), so backpressure and errors
 * are what they were per frame, and nothing waits in memory beyond one open
 * batch per transport plus what the fan-out queues behind a full reader.
 * A frame is copied into the batch when added (the caller may reuse its
 * bytes at once). A frame too large to share a datagram is sent alone,
 * after the open batch (order is kept).
 */
export class Batcher {
  readonly #limit: number;
  #buf: Buffer | undefined;
  #at = BATCH_HEADER;
  #count = 0;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #promise: Promise<void> | undefined;
  #scheduled = false;
  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(
    private readonly send: SendDatagram,
    frameSize: number,
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
    const buf = (this.#buf ??= Buffer.allocUnsafe(this.#limit));
    buf.writeUInt16LE(frame.byteLength, this.#at);
    buf.set(frame, this.#at + BATCH_ENTRY_HEADER);
    this.#at += cost;
    this.#count++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onTick);
    }
    return (this.#promise ??= new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject })));
  }

  /** Sends the open batch now (before close, or when the next frame would not fit). */
  flush(): void {
    const buf = this.#buf;
    if (buf === undefined || this.#count === 0) return;
    const settle = this.#settle!;
    const count = this.#count;
    const end = this.#at;
    this.#at = BATCH_HEADER;
    this.#count = 0;
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
    if (sent === FRAME_TAKEN) settle.resolve();
    else {
      this.#buf = undefined;
      sent.then(settle.resolve, settle.reject);
    }
  }
}
