/**
 * The client side of interest routing: tells the server (or relay hub) which
 * patterns this bus subscribes to, so that it sends only matching events.
 * The whole list goes on every (re)connect, then one `add` or `del` per
 * pattern that gains its first or loses its last subscriber.
 *
 * Only a bus on a duplex, unrouted transport that is not itself a server
 * announces: a server's bus filters what it sends instead, a routed
 * transport (NATS) declares interests its own way, and a one-way transport
 * has nobody to tell.
 */
import { Kind } from '../envelope/envelope.js';
import type { Transport } from '../transport/index.js';
import { INTEREST_HELLO, INTEREST_VERSION, type InterestOp, type InterestPayload } from '../envelope/interest.js';
import type { ResolvedBusOptions } from './options.js';
import type { Outbox } from './outbox.js';

/** This bus's subscribed patterns, announced to its server (internal to the bus). */
export class InterestAnnouncer {
  /** Subscribers per pattern: a pattern is announced with its first and withdrawn with its last. */
  readonly #counts = new Map<string, number>();
  readonly #enabled: boolean;

  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly outbox: Outbox,
  ) {
    const { duplex, routed, server } = transport.capabilities;
    this.#enabled = duplex && routed !== true && server !== true;
  }

  /** A subscriber of `pattern` arrived; returns its release. */
  hold(pattern: string): () => void {
    if (!this.#enabled) return noop;
    const count = this.#counts.get(pattern) ?? 0;
    this.#counts.set(pattern, count + 1);
    if (count === 0) this.#send('add', [pattern]);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(pattern) ?? 1) - 1;
      if (left > 0) {
        this.#counts.set(pattern, left);
        return;
      }
      this.#counts.delete(pattern);
      this.#send('del', [pattern]);
    };
  }

  /** The link is (again) open: the server gets the whole list, which replaces whatever it held. */
  announceAll(): void {
    if (this.#enabled) this.#send('set', [...this.#counts.keys()]);
  }

  #send(op: InterestOp, p: readonly string[]): void {
    // Not linked: the whole list goes when the link opens.
    if (this.transport.state !== 'open') return;
    const payload: InterestPayload = { v: INTEREST_VERSION, op, p };
    this.outbox.send({ kind: Kind.Hello, id: 0, name: INTEREST_HELLO, payload, headers: undefined }, undefined).catch((error: unknown) =>
      // The link went meanwhile; the next open sends the whole list.
      this.o.logger.debug('interest announcement failed', { bus: this.o.name, error: String(error) }),
    );
  }
}

function noop(): void {}
