/**
 * The NATS subscriptions behind the bus's handlers and subscriptions: one per
 * `interest()` the bus declared (a method or a topic pattern, with its queue
 * group), made as soon as there is a connection and kept across reconnects
 * by nats.js. Declared before `start()`, they are made by `start()`.
 *
 * While at least one method interest exists, the transport also listens on
 * `P.cancel`, where callers that do not know which responder holds a call
 * cancel it (the one holding the id acts; the others find nothing).
 */
import type { Interest } from '@pipebus/core/transport-kit';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { checkQueue, type Subjects } from '../subjects/subjects.js';

/** Where a message that came through an interest goes: `via` is the topic interest's id. */
export type InterestListener = (msg: Msg, via: number | undefined) => void;

interface Entry {
  readonly subject: string;
  readonly queue: string | undefined;
  readonly via: number | undefined;
  readonly kind: Interest['kind'];
  sub: Subscription | undefined;
}

export class Interests {
  readonly #entries = new Set<Entry>();
  #methods = 0;
  #cancelSub: Subscription | undefined;
  #nc: NatsConnection | undefined;

  constructor(
    private readonly subjects: Subjects,
    private readonly listener: InterestListener,
    private readonly onCancelMessage: (msg: Msg) => void,
    private readonly onSubscriptionError: (error: Error, subject: string) => void,
  ) {}

  /**
   * Declares `interest`; returns its withdrawal. Throws `INVALID_ARGUMENT`
   * (from the subject check) for a name NATS cannot carry, before anything
   * is subscribed.
   */
  add(interest: Interest): () => void {
    const subject = interest.kind === 'method' ? this.subjects.method(interest.name) : this.subjects.eventPattern(interest.name);
    if (interest.queue !== undefined) checkQueue(interest.queue);
    const entry: Entry = { subject, queue: interest.queue, via: interest.kind === 'topic' ? interest.id : undefined, kind: interest.kind, sub: undefined };
    this.#entries.add(entry);
    if (interest.kind === 'method') this.#methods++;
    if (this.#nc !== undefined) this.#subscribe(this.#nc, entry);
    return () => {
      if (!this.#entries.delete(entry)) return;
      entry.sub?.unsubscribe();
      entry.sub = undefined;
      if (entry.kind === 'method' && --this.#methods === 0) {
        this.#cancelSub?.unsubscribe();
        this.#cancelSub = undefined;
      }
    };
  }

  /** The connection is there (start): every interest declared so far is subscribed. */
  attach(nc: NatsConnection): void {
    this.#nc = nc;
    for (const entry of this.#entries) this.#subscribe(nc, entry);
  }

  /** Closing: no more subscriptions; the ones made are unsubscribed. */
  detach(): void {
    this.#nc = undefined;
    for (const entry of this.#entries) {
      entry.sub?.unsubscribe();
      entry.sub = undefined;
    }
    this.#cancelSub?.unsubscribe();
    this.#cancelSub = undefined;
  }

  /** How many subscriptions are open now (for stats and tests). */
  get size(): number {
    let n = this.#cancelSub === undefined ? 0 : 1;
    for (const entry of this.#entries) if (entry.sub !== undefined) n++;
    return n;
  }

  #subscribe(nc: NatsConnection, entry: Entry): void {
    if (entry.sub !== undefined) return;
    const { via, subject } = entry;
    entry.sub = nc.subscribe(subject, {
      ...(entry.queue !== undefined && { queue: entry.queue }),
      callback: (error, msg) => (error === null ? this.listener(msg, via) : this.onSubscriptionError(error, subject)),
    });
    if (entry.kind === 'method' && this.#cancelSub === undefined) {
      this.#cancelSub = nc.subscribe(this.subjects.cancel, {
        callback: (error, msg) => (error === null ? this.onCancelMessage(msg) : this.onSubscriptionError(error, this.subjects.cancel)),
      });
    }
  }
}
