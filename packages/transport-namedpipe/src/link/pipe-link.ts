import type net from 'node:net';
import { BusError, systemClock, type Clock, type TimerHandle } from '@pipebus/core';
import { FRAME_TAKEN } from '@pipebus/core/transport-kit';
import { errnoError } from '../advice/os-advice.js';
import { FrameDecoder, lengthPrefix, type FrameViolation } from '../framing/frame-decoder.js';
import type { InboundAccount } from './inbound-budget.js';
import { QUEUED_FRAME_OVERHEAD, queuedFrameCost, type LinkFault, type LinkHandlers, type LinkOptions } from './link-options.js';
import type { PipeStats } from './pipe-stats.js';
import { ReadDeadlines } from './read-deadlines.js';
import { BATCH_LIMIT, COALESCE_LIMIT, batchBuffer, type Batch } from './send-batch.js';

/** A send that had to wait (the link was full): it settles on its own. */
interface SendJob {
  readonly frame: Uint8Array;
  resolve(): void;
  reject(error: BusError): void;
}

/**
 * One connected `net.Socket`, framed (or raw) and flow-controlled.
 *
 * Small frames sent in one tick are copied, each behind its length prefix,
 * into one buffer written once at the end of the tick (or as soon as it holds
 * 64 KiB): under load this is what keeps the per-message cost near raw `net`
 * (a `writev` of many tiny buffers and a callback per frame cost about as
 * much as the bus itself). Links whose batches hold the same frames (a
 * broadcast, a relay) write one shared buffer, built by the first of them.
 *
 * A send resolves once the link took the frame: at once when it joins the
 * tick's batch, like a Node stream's write() that returns true — so a caller
 * awaiting each send still fills whole batches, one write per 64 KiB rather
 * than per frame. Once the socket's buffer is full, later sends queue (up to
 * `maxPendingSendBytes`, each charged its bytes plus `QUEUED_FRAME_OVERHEAD`,
 * the socket's unflushed bytes counted too) and resolve only when 'drain' lets them in: that is
 * the backpressure, and memory stays bounded whatever the callers do. A
 * frame written alone (raw bytes, or above 16 KiB) resolves when the OS took
 * it. Cutting the link writes the pending batch first; a batch that never
 * reached the socket is counted in `framesUnsent`. What the socket already
 * held when it died goes uncounted: Node reports a write cut short by
 * destroy() as done, so as with any stream only the peer's answers tell what
 * arrived (the bus fails requests to a peer that is gone).
 */
export class PipeLink {
  readonly #socket: net.Socket;
  readonly #o: LinkOptions;
  readonly #h: LinkHandlers;
  readonly #stats: PipeStats;
  readonly #decoder: FrameDecoder | undefined;
  readonly #account: InboundAccount | undefined;
  readonly #queue: SendJob[] = [];
  /** Frames written alone whose write callback has not come yet. */
  readonly #inFlight = new Set<SendJob>();
  /** Small frames of this tick, waiting for the flush at its end. */
  #batch: Batch | undefined;
  #queuedBytes = 0;
  #blocked = false;
  /** Holds on reading (see hold()): reading stays paused while any is out. */
  #holds = 0;
  #stallTimer: TimerHandle | undefined;
  #closed = false;
  /**
   * Set the moment the link is cut (a violation, or the owner's destroy()
   * after a frame it rejected), before the socket's 'close' comes: nothing
   * read after that point, even later in the same chunk, may reach onFrame.
   */
  #stopped = false;
  /** We cut the link ourselves: an unfinished frame then is not the peer's fault. */
  #cutByUs = false;
  #closeReason = 'the link closed';
  #fault: LinkFault | undefined;
  readonly #deadlines: ReadDeadlines | undefined;
  readonly #clock: Clock;
  /** Frames (raw mode: chunks) this link delivered, for the read deadlines. */
  #framesRead = 0;
  readonly #flushAtTickEnd = (): void => this.#flush();

  constructor(socket: net.Socket, options: LinkOptions, stats: PipeStats, handlers: LinkHandlers) {
    this.#socket = socket;
    this.#o = options;
    this.#h = handlers;
    this.#stats = stats;
    this.#account = options.raw ? undefined : options.inbound?.open();
    this.#decoder = options.raw ? undefined : new FrameDecoder(options.maxFrameSize, this.#account);
    this.#clock = options.clock ?? systemClock;
    const deadlines = options.deadlines;
    this.#deadlines = deadlines === undefined || (deadlines.firstFrameMs <= 0 && deadlines.frameMs <= 0 && (deadlines.idleMs ?? 0) <= 0)
      ? undefined
      : new ReadDeadlines(deadlines, this.#clock, (reason) => {
        this.#stats.slowDrops++;
        this.destroy(reason, 'slow');
      });
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    // A half-closed pipe is of no use to a request/response peer: end ours too.
    socket.on('end', () => {
      this.#checkTruncation();
      if (!this.#closed) socket.end();
    });
    socket.on('error', (error: Error) => {
      if (!this.#closed) this.#closeReason = errnoError(`use the link to ${options.label}`, error).message;
    });
    socket.on('close', () => this.#finish());
  }

  /** True once the socket is gone (or going). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one frame; resolves once the link took it (see class notes). */
  send(frame: Uint8Array): Promise<void> {
    if (this.#closed || this.#socket.destroyed) return Promise.reject(this.#closedError());
    if (!this.#blocked && this.#queue.length === 0) {
      if (this.#coalesces(frame)) {
        this.#add(this.#currentBatch(), frame);
        return FRAME_TAKEN;
      }
      return new Promise<void>((resolve, reject) => this.#writeAlone({ frame, resolve, reject }));
    }
    const cost = queuedFrameCost(frame);
    // Bytes the socket took but has not flushed wait for the peer as much as queued ones do.
    const pending = this.#queuedBytes + this.#socket.writableLength + (this.#batch?.bytes ?? 0);
    // One frame may always wait, however large (up to maxFrameSize), or a big frame could never be sent.
    if (this.#queuedBytes > 0 && pending + cost > this.#o.maxPendingSendBytes) return this.#overflow(pending);
    this.#queuedBytes += cost;
    return new Promise<void>((resolve, reject) => this.#queue.push({ frame, resolve, reject }));
  }

  /**
   * Stops reading from the peer until the returned release is called (once;
   * holds count, reading resumes with the last), from the next frame on:
   * the rest of a read being delivered waits too (framed links; a raw link
   * delivers its read). The OS then holds the peer's bytes and its writes
   * wait: flow control for a relay whose receivers are slower than this
   * peer sends.
   */
  hold(): () => void {
    if (this.#closed) return () => undefined;
    if (this.#holds++ === 0) {
      this.#stats.readPauses++;
      this.#socket.pause();
      // Effective from the next frame, even inside the read being delivered now.
      this.#decoder?.hold();
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.#holds > 0 || this.#closed || this.#stopped) return;
      if (this.#decoder !== undefined) this.#decoded(this.#decoder.release(this.#deliver));
      // Held again by one of the frames just delivered: stay paused.
      if (this.#holds === 0) this.#resumeIfFree();
    };
  }

  /**
   * Cuts the link; `onClose` follows with `reason`. Sends already taken are
   * written first (the socket takes what it can at once), so a last answer,
   * or the error frame telling a peer why it is dropped, still goes out.
   */
  destroy(reason: string, fault?: LinkFault): void {
    if (this.#closed) return;
    this.#stopped = true;
    this.#flush();
    this.#closeReason = reason;
    this.#fault ??= fault;
    this.#cutByUs = true;
    // Its unfinished frame's share of the inbound budget is free at once, not at 'close'.
    this.#account?.close();
    this.#socket.destroy();
  }

  /** Whether a frame is copied into the tick's batch (framed and small) rather than written alone. */
  #coalesces(frame: Uint8Array): boolean {
    return !this.#o.raw && frame.byteLength <= COALESCE_LIMIT;
  }

  /** This tick's batch, started (and its flush scheduled) on first use. */
  #currentBatch(): Batch {
    let batch = this.#batch;
    if (batch === undefined) {
      batch = this.#batch = { frames: [], bytes: 0 };
      process.nextTick(this.#flushAtTickEnd);
    }
    return batch;
  }

  /** Adds a small frame to the batch; writes the batch early once it is large. */
  #add(batch: Batch, frame: Uint8Array): void {
    this.#stats.framesOut++;
    this.#stats.bytesOut += frame.byteLength;
    batch.frames.push(frame);
    batch.bytes += 4 + frame.byteLength;
    if (batch.bytes >= BATCH_LIMIT) this.#flush();
  }

  /** Writes a queued job: a small frame joins the batch (and the job is done), others go alone. */
  #write(job: SendJob): void {
    if (this.#coalesces(job.frame)) {
      this.#add(this.#currentBatch(), job.frame);
      job.resolve();
    } else {
      this.#writeAlone(job);
    }
  }

  /** Raw bytes, or a frame large enough that copying it costs more than a second iovec. */
  #writeAlone(job: SendJob): void {
    const { frame } = job;
    this.#stats.framesOut++;
    this.#stats.bytesOut += frame.byteLength;
    this.#flush();
    let ok: boolean;
    if (this.#o.raw) {
      ok = this.#socket.write(frame, this.#completion(job));
    } else {
      this.#socket.cork();
      this.#socket.write(lengthPrefix(frame.byteLength));
      ok = this.#socket.write(frame, this.#completion(job));
      this.#socket.uncork();
    }
    if (!ok) this.#block();
  }

  /**
   * Writes this tick's small frames as one buffer. Its sends are already
   * resolved: a failed write surfaces as the socket's error and close, which
   * the owner reports (peer gone, requests to it failed).
   */
  #flush(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    // destroy() was called but 'close' has not come yet: nothing more can be written.
    if (this.#closed || this.#socket.destroyed) {
      this.#stats.framesUnsent += batch.frames.length;
      return;
    }
    if (!this.#socket.write(batchBuffer(batch))) this.#block();
  }

  /** The write callback of a frame written alone: settles its send, once. */
  #completion(job: SendJob): (error?: Error | null) => void {
    this.#inFlight.add(job);
    return (error) => {
      if (!this.#inFlight.delete(job)) return;
      if (!error) job.resolve();
      else job.reject(this.#closed || this.#socket.destroyed ? this.#closedError() : errnoError(`send to ${this.#o.label}`, error));
    };
  }

  #block(): void {
    if (this.#blocked) return;
    this.#blocked = true;
    if (this.#o.pauseReadsWhenBlocked) {
      // Flow control: read no more requests from a peer that does not read its answers.
      this.#stats.readPauses++;
      this.#socket.pause();
    }
    const stall = this.#o.stallTimeoutMs;
    if (stall !== undefined && stall > 0) {
      this.#stallTimer = this.#clock.setTimeout(() => this.destroy(`not reading: its link stayed full for ${stall} ms`, 'flood'), stall);
    }
  }

  #onDrain(): void {
    this.#blocked = false;
    if (this.#stallTimer !== undefined) this.#clock.clearTimeout(this.#stallTimer);
    // One splice at the end, not a shift() per job: shift moves the whole
    // array each time, which made draining ~10^4 waiting frames quadratic
    // (40% of a hub's time with one slow subscriber, in its profile).
    const queue = this.#queue;
    let taken = 0;
    while (taken < queue.length && !this.#blocked && !this.#closed) {
      const job = queue[taken++]!;
      this.#queuedBytes -= queuedFrameCost(job.frame);
      this.#write(job);
    }
    // #finish() may have emptied the queue meanwhile (a write that failed at once).
    if (!this.#closed) queue.splice(0, taken);
    if (this.#o.pauseReadsWhenBlocked) this.#resumeIfFree();
  }

  /** Reads again unless something still pauses it: a full link (servers), a stall on the inbound budget, a hold. */
  #resumeIfFree(): void {
    if (this.#closed || this.#stopped || this.#stalled || this.#holds > 0) return;
    if (this.#blocked && this.#o.pauseReadsWhenBlocked) return;
    this.#socket.resume();
  }

  /** The decoder waits for room in the server's inbound budget: reading stays paused until it has it. */
  get #stalled(): boolean {
    return (this.#decoder?.stalledFor ?? 0) > 0;
  }

  #overflow(pending: number): Promise<void> {
    const limit = this.#o.maxPendingSendBytes;
    if (this.#o.pauseReadsWhenBlocked) {
      // A server's peer that lets this much pile up is not reading: drop it, keep serving the rest.
      this.destroy(`not reading: over maxPendingSendBytes (${limit}) waited for it`, 'flood');
      // Report the loss now, not on the socket's 'close' a tick later: a handler
      // emitting synchronously (`from(bigArray)`) is inside this send, and only a
      // disconnect seen now lets its bus stop it before it produces the rest
      // for nobody (10^6 values: ~10 s of CPU, measured).
      this.#finish();
      return Promise.reject(new BusError('TRANSPORT_CLOSED', `${this.#o.label} does not read what is sent to it (over maxPendingSendBytes ${limit} waiting); it was disconnected`));
    }
    return Promise.reject(
      new BusError('BUSY', `${this.#o.label} is not reading: ${this.#queue.length} sends (${pending} bytes counted, at least ${QUEUED_FRAME_OVERHEAD} bytes each) already wait, over maxPendingSendBytes ${limit}; await send() before sending more, or raise maxPendingSendBytes`, {
        details: { pendingBytes: pending, pendingSends: this.#queue.length, maxPendingSendBytes: limit },
      }),
    );
  }

  #onData(chunk: Buffer): void {
    if (this.#stopped || this.#closed) return;
    this.#stats.bytesIn += chunk.byteLength;
    if (this.#decoder === undefined) {
      // Raw mode: each read is a message, split only where it exceeds the frame size.
      for (let at = 0; at < chunk.byteLength && !this.#stopped; at += this.#o.maxFrameSize) {
        this.#stats.framesIn++;
        this.#framesRead++;
        this.#h.onFrame(chunk.subarray(at, at + this.#o.maxFrameSize));
      }
      this.#deadlines?.onRead(this.#framesRead, false);
      return;
    }
    this.#decoded(this.#decoder.push(chunk, this.#deliver));
  }

  readonly #deliver = (frame: Uint8Array): void => {
    if (this.#stopped) return;
    this.#framesRead++;
    // A zero-length frame is the link's own (a client's hello): no envelope is ever empty.
    if (frame.byteLength === 0) return;
    this.#stats.framesIn++;
    this.#h.onFrame(frame);
  };

  /** After the decoder took bytes: deadlines, a violation, or a stall on the inbound budget. */
  #decoded(violation: FrameViolation | undefined): void {
    if (this.#stopped) return;
    this.#deadlines?.onRead(this.#framesRead, this.#decoder!.midFrame);
    if (violation !== undefined) {
      this.#stats.oversizeFrames++;
      this.destroy(`sent a frame length of ${violation.length} bytes, above maxFrameSize ${violation.max}`, 'oversize');
      return;
    }
    if (!this.#stalled) return;
    // Read no more (the OS holds its bytes, its writes block) until the budget has room; frameTimeout runs on.
    this.#socket.pause();
    this.#account!.request(this.#decoder!.stalledFor, () => this.#unstall());
  }

  #unstall(): void {
    if (this.#stopped || this.#closed) return;
    this.#decoded(this.#decoder!.resume(this.#deliver));
    this.#resumeIfFree();
  }

  #checkTruncation(): void {
    if (!this.#cutByUs && this.#fault === undefined && this.#decoder?.midFrame === true && this.#decoder.violation === undefined) {
      this.#stats.truncatedFrames++;
      this.#fault = 'truncated';
      this.#closeReason = `the stream ended inside a frame, ${this.#decoder.missingBytes} bytes short`;
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#checkTruncation();
    this.#closed = true;
    this.#account?.close();
    if (this.#stallTimer !== undefined) this.#clock.clearTimeout(this.#stallTimer);
    this.#deadlines?.stop();
    const error = this.#closedError();
    const unsettled = [...this.#inFlight, ...this.#queue];
    this.#inFlight.clear();
    if (this.#batch !== undefined) this.#stats.framesUnsent += this.#batch.frames.length;
    this.#batch = undefined;
    for (const job of unsettled) job.reject(error);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#h.onClose(this.#closeReason, this.#fault);
  }

  #closedError(): BusError {
    return new BusError('TRANSPORT_CLOSED', `the link to ${this.#o.label} is closed (${this.#closeReason})`);
  }
}
