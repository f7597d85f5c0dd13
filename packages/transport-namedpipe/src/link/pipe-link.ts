import type net from 'node:net';
import { BusError } from '@pipebus/core';
import { errnoError } from '../errors/os-error.js';
import { FrameDecoder, lengthPrefix } from '../framing/frame-decoder.js';
import type { PipeStats } from './pipe-stats.js';

/** How a link frames and bounds its traffic. */
export interface LinkOptions {
  readonly raw: boolean;
  readonly maxFrameSize: number;
  /** Bytes that may wait for the peer to read before `onOverflow` is asked what to do. */
  readonly maxPendingSendBytes: number;
  /** Server side: stop reading a peer while it is not reading our answers (never on a client: both sides pausing would deadlock). */
  readonly pauseReadsWhenBlocked: boolean;
  /** Server side: a peer whose link stays full this long without draining is dropped as not reading. */
  readonly stallTimeoutMs?: number;
  /** For log lines and error messages. */
  readonly label: string;
}

/** What a link reports to its owner (the server or client transport). */
export interface LinkHandlers {
  onFrame(data: Uint8Array): void;
  /** Called once, when the link is gone for any reason; `fault` is set when the peer misbehaved. */
  onClose(reason: string, fault?: 'oversize' | 'truncated' | 'flood'): void;
}

interface SendJob {
  readonly frame: Uint8Array;
  resolve(): void;
  reject(error: BusError): void;
}

/** Frames up to this size are copied behind their prefix into one buffer: cheaper than a second iovec. */
const COALESCE_LIMIT = 16 * 1024;

/**
 * One connected `net.Socket`, framed (or raw) and flow-controlled.
 *
 * Writes are corked for the rest of the tick, so a burst of sends leaves in
 * one `writev`. A send resolves when its bytes reached the OS; once the
 * socket's buffer is full, later sends queue (up to `maxPendingSendBytes`)
 * and are written on 'drain', so memory stays bounded whatever the callers do.
 */
export class PipeLink {
  readonly #socket: net.Socket;
  readonly #o: LinkOptions;
  readonly #h: LinkHandlers;
  readonly #stats: PipeStats;
  readonly #decoder: FrameDecoder | undefined;
  readonly #queue: SendJob[] = [];
  readonly #inFlight = new Set<SendJob>();
  #queuedBytes = 0;
  #blocked = false;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #corked = false;
  #closed = false;
  /** We cut the link ourselves: an unfinished frame then is not the peer's fault. */
  #cutByUs = false;
  #closeReason = 'the link closed';
  #fault: 'oversize' | 'truncated' | 'flood' | undefined;

  constructor(socket: net.Socket, options: LinkOptions, stats: PipeStats, handlers: LinkHandlers) {
    this.#socket = socket;
    this.#o = options;
    this.#h = handlers;
    this.#stats = stats;
    this.#decoder = options.raw ? undefined : new FrameDecoder(options.maxFrameSize);
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

  /** Sends one frame; resolves when the OS took its bytes (see class notes). */
  send(frame: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<void>((resolve, reject) => {
      const job: SendJob = { frame, resolve, reject };
      if (!this.#blocked && this.#queue.length === 0) {
        this.#write(job);
        return;
      }
      const size = frame.byteLength + 4;
      if (this.#queuedBytes > 0 && this.#queuedBytes + size > this.#o.maxPendingSendBytes) {
        this.#overflow(job);
        return;
      }
      this.#queuedBytes += size;
      this.#queue.push(job);
    });
  }

  /** Cuts the link; `onClose` follows with `reason`. */
  destroy(reason: string, fault?: 'oversize' | 'truncated' | 'flood'): void {
    if (this.#closed) return;
    this.#closeReason = reason;
    this.#fault ??= fault;
    this.#cutByUs = true;
    this.#socket.destroy();
  }

  #write(job: SendJob): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    const { frame } = job;
    this.#inFlight.add(job);
    const done = (error?: Error | null): void => {
      if (!this.#inFlight.delete(job)) return;
      if (error) job.reject(this.#closed ? this.#closedError() : errnoError(`send to ${this.#o.label}`, error));
      else job.resolve();
    };
    let ok: boolean;
    if (this.#o.raw) {
      ok = this.#socket.write(frame, done);
    } else if (frame.byteLength <= COALESCE_LIMIT) {
      const buffer = Buffer.allocUnsafe(4 + frame.byteLength);
      buffer.writeUInt32BE(frame.byteLength, 0);
      buffer.set(frame, 4);
      ok = this.#socket.write(buffer, done);
    } else {
      this.#socket.write(lengthPrefix(frame.byteLength));
      ok = this.#socket.write(frame, done);
    }
    this.#stats.framesOut++;
    this.#stats.bytesOut += frame.byteLength;
    if (!ok) this.#block();
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
      this.#stallTimer = setTimeout(() => this.destroy(`not reading: its link stayed full for ${stall} ms`, 'flood'), stall);
      this.#stallTimer.unref?.();
    }
  }

  #onDrain(): void {
    this.#blocked = false;
    clearTimeout(this.#stallTimer);
    while (this.#queue.length > 0 && !this.#blocked && !this.#closed) {
      const job = this.#queue.shift()!;
      this.#queuedBytes -= job.frame.byteLength + 4;
      this.#write(job);
    }
    if (!this.#blocked && this.#o.pauseReadsWhenBlocked && !this.#closed) this.#socket.resume();
  }

  #overflow(job: SendJob): void {
    if (this.#o.pauseReadsWhenBlocked) {
      // A server's peer that lets this much pile up is not reading: drop it, keep serving the rest.
      job.reject(new BusError('TRANSPORT_CLOSED', `${this.#o.label} does not read what is sent to it (over ${this.#o.maxPendingSendBytes} bytes waiting); it was disconnected`));
      this.destroy(`not reading: over ${this.#o.maxPendingSendBytes} bytes waited for it`, 'flood');
      return;
    }
    job.reject(
      new BusError('BUSY', `over ${this.#o.maxPendingSendBytes} bytes already wait for ${this.#o.label} to read; await send() before sending more`, {
        details: { pendingBytes: this.#queuedBytes },
      }),
    );
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#stats.bytesIn += chunk.byteLength;
    if (this.#decoder === undefined) {
      // Raw mode: each read is a message, split only where it exceeds the frame size.
      for (let at = 0; at < chunk.byteLength && !this.#closed; at += this.#o.maxFrameSize) {
        this.#stats.framesIn++;
        this.#h.onFrame(chunk.subarray(at, at + this.#o.maxFrameSize));
      }
      return;
    }
    const violation = this.#decoder.push(chunk, (frame) => {
      if (this.#closed) return;
      this.#stats.framesIn++;
      this.#h.onFrame(frame);
    });
    if (violation !== undefined && !this.#closed) {
      this.#stats.oversizeFrames++;
      this.destroy(`sent a frame length of ${violation.length} bytes, above maxFrameSize ${violation.max}`, 'oversize');
    }
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
    clearTimeout(this.#stallTimer);
    const error = this.#closedError();
    for (const job of this.#inFlight) job.reject(error);
    for (const job of this.#queue) job.reject(error);
    this.#inFlight.clear();
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#h.onClose(this.#closeReason, this.#fault);
  }

  #closedError(): BusError {
    return new BusError('TRANSPORT_CLOSED', `the link to ${this.#o.label} is closed (${this.#closeReason})`);
  }
}
