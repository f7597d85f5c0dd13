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
 *
 * Above `maxInterestsPerPeer` distinct patterns, or 8 tokens per pattern of
 * it (the bounds a server holds its clients to, 4096 patterns unless set),
 * it announces `>` instead, every event:
 * a server would refuse the list and send everything anyway. Back at the
 * bound, the whole list goes again.
 */
import { Kind } from '../envelope/envelope.js';
import type { Transport } from '../transport/index.js';
import { INTEREST_HELLO, INTEREST_VERSION, TOKENS_PER_INTEREST, tokenCount, type InterestOp, type InterestPayload } from '../envelope/interest.js';
import type { ResolvedBusOptions } from './options.js';
import type { Outbox } from './outbox.js';

/** This bus's subscribed patterns, announced to its server (internal to the bus). */
export class InterestAnnouncer {
  /** Subscribers per pattern: a pattern is announced with its first and withdrawn with its last. */
  readonly #counts = new Map<string, number>();
  readonly #enabled: boolean;
  /** Tokens of the distinct patterns, all together. */
  #tokens = 0;
  /** True while the distinct patterns are over the bounds: the server was told `>`. */
  #over = false;

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
    if (count === 0) {
      this.#tokens += tokenCount(pattern);
      this.#added(pattern);
    }
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
      this.#tokens -= tokenCount(pattern);
      this.#removed(pattern);
    };
  }

  /** The link is (again) open: the server gets the whole list, which replaces whatever it held. */
  announceAll(): void {
    if (this.#enabled) this.#send('set', this.#over ? EVERYTHING : [...this.#counts.keys()]);
  }

  /** `pattern` got its first subscriber (and is in the counts). */
  #added(pattern: string): void {
    if (this.#over) return;
    if (this.#fits()) {
      this.#send('add', [pattern]);
      return;
    }
    this.#over = true;
    const max = this.o.maxInterestsPerPeer;
    this.o.logger.warn(
      `subscribed to ${this.#counts.size} distinct patterns of ${this.#tokens} tokens, above maxInterestsPerPeer ${max} (and ${TOKENS_PER_INTEREST * max} tokens in all), so the server is asked for every event (correct, only slower) until few enough are left; subscribe to fewer, wider, shorter patterns (orders.> instead of one per order), or raise maxInterestsPerPeer on this bus and the server's`,
      { bus: this.o.name, patterns: this.#counts.size, tokens: this.#tokens },
    );
    this.#send('set', EVERYTHING);
  }

  /** `pattern` lost its last subscriber (and left the counts). */
  #removed(pattern: string): void {
    if (!this.#over) {
      this.#send('del', [pattern]);
      return;
    }
    if (!this.#fits()) return;
    this.#over = false;
    this.o.logger.info(`back at ${this.#counts.size} distinct patterns, within maxInterestsPerPeer: the server is told them again`, { bus: this.o.name });
    this.#send('set', [...this.#counts.keys()]);
  }

  /** Within both bounds a server holds this bus to. */
  #fits(): boolean {
    const max = this.o.maxInterestsPerPeer;
    return this.#counts.size <= max && this.#tokens <= TOKENS_PER_INTEREST * max;
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

/** The one pattern that matches every topic. */
const EVERYTHING: readonly string[] = ['>'];
