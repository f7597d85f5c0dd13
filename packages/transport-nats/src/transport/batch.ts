/**
 * Publishes held until the end of the tick. nats.js writes its outbound
 * buffer to the socket once per microtask; a bus that awaits each publish
 * hands it one frame per microtask, so every 64-byte event became a socket
 * write of its own (the fan-out bench: 0.08-0.16× nats.js publishing in a
 * loop). Held here and given to nats.js together in `setImmediate`, they
 * leave in one write, as the named-pipe link batches its writes.
 *
 * The hold is bounded: the transport flushes early once the bytes held pass
 * its backpressure mark (see `NatsTransport.#confirm`), and moves what is
 * held into the reconnect buffer when the link drops, so order is kept.
 */
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';

/**
 * Bytes held before the batch goes to nats.js without waiting for the end of
 * the tick: a producer that never yields (each send resolves at once) would
 * otherwise hold everything up to the backpressure mark, and the subscribers
 * would get it in bursts of megabytes.
 */
const FLUSH_BYTES = 64 * 1024;

interface Held {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly headers: MsgHdrs | undefined;
}

export class PublishBatch {
  #held: Held[] = [];
  #bytes = 0;
  #scheduled = false;
  #nc: NatsConnection | undefined;

  /**
   * @param failed - told when nats.js refuses a held frame at flush time
   *   (the connection closed under it): the frame's send had resolved already.
   */
  constructor(private readonly failed: (error: unknown, frames: number) => void) {}

  /** The connection the held frames go to. */
  attach(nc: NatsConnection): void {
    this.#nc = nc;
  }

  get size(): number {
    return this.#held.length;
  }

  add(subject: string, data: Uint8Array, reply: string | undefined, headers: MsgHdrs | undefined): void {
    this.#held.push({ subject, data, reply, headers });
    this.#bytes += data.byteLength;
    if (this.#bytes >= FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#onTick);
  }

  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** Hands everything held to nats.js, in order. */
  flush(): void {
    const nc = this.#nc;
    if (this.#held.length === 0 || nc === undefined) return;
    const held = this.#held;
    this.#held = [];
    this.#bytes = 0;
    for (let i = 0; i < held.length; i++) {
      const { subject, data, reply, headers } = held[i]!;
      try {
        nc.publish(subject, data, reply === undefined && headers === undefined ? undefined : { reply, headers });
      } catch (error) {
        this.failed(error, held.length - i);
        return;
      }
    }
  }

  /** The link dropped: everything held, oldest first, for the reconnect buffer. */
  take(): Held[] {
    const held = this.#held;
    this.#held = [];
    this.#bytes = 0;
    return held;
  }
}
