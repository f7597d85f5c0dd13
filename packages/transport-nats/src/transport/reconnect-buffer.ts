/**
 * Frames sent while the NATS link is down. nats.js cannot keep them: every
 * dial attempt calls `resetOutbound()` (protocol.ts, `prepare()`), which
 * drops whatever was published while disconnected, silently. So the
 * transport holds them itself, bounded, and publishes them in order once the
 * link is back (see `NatsTransport`).
 */
import type { MsgHdrs } from '@nats-io/transport-node';

/** Bounds of the reconnect buffer. */
export interface ReconnectBufferOptions {
  /** Bytes of frames held at most. Default 8 MiB. */
  readonly maxBytes?: number;
  /** Frames held at most. Default 10 000. */
  readonly maxFrames?: number;
}

export const DEFAULT_RECONNECT_BUFFER_BYTES = 8 * 1024 * 1024;
export const DEFAULT_RECONNECT_BUFFER_FRAMES = 10_000;

/** One publish waiting for the link. */
interface Held {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly headers: MsgHdrs | undefined;
}

/** A FIFO of publishes bounded by bytes and count (internal to the transport). */
export class ReconnectBuffer {
  #held: Held[] = [];
  #bytes = 0;
  /** Frames refused because the buffer was full. */
  rejected = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxFrames: number,
  ) {}

  get frames(): number {
    return this.#held.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Holds a publish; false (and counted) when it would pass either bound. */
  push(subject: string, data: Uint8Array, reply: string | undefined, headers?: MsgHdrs): boolean {
    if (this.#held.length >= this.maxFrames || this.#bytes + data.byteLength > this.maxBytes) {
      this.rejected++;
      return false;
    }
    this.#held.push({ subject, data, reply, headers });
    this.#bytes += data.byteLength;
    return true;
  }

  /** Hands every held publish to `publish`, oldest first, and empties the buffer. */
  drain(publish: (subject: string, data: Uint8Array, reply: string | undefined, headers: MsgHdrs | undefined) => void): void {
    const held = this.#held;
    this.#held = [];
    this.#bytes = 0;
    for (const { subject, data, reply, headers } of held) publish(subject, data, reply, headers);
  }
}
