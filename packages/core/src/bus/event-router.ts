/**
 * Pub/sub: the topic index of subscribers, publishing, delivering events
 * (a peer's or this bus's own) to them, and relaying a peer's events to the
 * other peers. Wildcard matching itself lives in `topics/`.
 *
 * On a routed transport (NATS) each distinct (pattern, queue) is declared
 * once with `transport.interest()`; the network then picks the queue member.
 * On a server transport (`capabilities.server`) clients announce their
 * patterns (`interest-announcer.ts`), and publish and relay send each event
 * only to the peers whose patterns match (`peer-interests.ts`).
 *
 * Room for: delivering a routed frame only to the subscribers of the
 * interest it came through (`via`, issue 17 design §1); per-topic limits.
 */
import type { Subscriber } from 'rxjs';
import { Observable } from '../rx.js';
import type { Envelope, Headers } from '../envelope/index.js';
import { Kind } from '../envelope/envelope.js';
import { BusError } from '../errors/bus-error.js';
import { TopicIndex } from '../topics/topic-index.js';
import { validatePattern, validateTopic } from '../topics/topic-validation.js';
import { checkTopic } from '../topics/topic-validation.js';
import type { PeerEvent, PeerInfo, Transport } from '../transport/index.js';
import { FRAME_TAKEN } from '../transport/index.js';
import { checkHeaders, checkQueue, payloadProblem } from './argument-checks.js';
import { InterestAnnouncer } from './interest-announcer.js';
import { INTEREST_HELLO } from '../envelope/interest.js';
import type { BusLifecycle } from './lifecycle.js';
import type { ResolvedBusOptions } from './options.js';
import type { Outbox } from './outbox.js';
import type { PeerGuard } from './peer-guard.js';
import { PeerInterests } from './peer-interests.js';
import { RelayFlow } from './relay-flow.js';
import type { PeerTable } from './peer-table.js';
import type { Counters } from './stats.js';

/** Options of one published event. */
export interface PublishOptions {
  headers?: Headers;
}

/** One (pattern, queue) declared to a routed transport, and the subscribers sharing it. */
interface RoutedInterest {
  readonly id: number;
  readonly subscribers: Set<Subscriber<BusEvent<unknown>>>;
  readonly withdraw: () => void;
  /** `subscribers` as delivery iterates them, made at the first event after each change (never changed itself). */
  delivery: readonly Subscriber<BusEvent<unknown>>[] | undefined;
}

/** Options of `subscribe()`. */
export interface SubscribeOptions {
  /**
   * Queue group (routed transports such as NATS only): each event goes to
   * one subscriber of the group instead of all. `NOT_SUPPORTED` on any
   * other transport.
   */
  queue?: string;
}

/** An event as a subscriber receives it. */
export interface BusEvent<T = unknown> {
  readonly topic: string;
  readonly payload: T;
  readonly headers: Headers | undefined;
  /** Who published it; `undefined` for events published on this bus. */
  readonly peer: PeerInfo | undefined;
}

/** Subscriptions, delivery and relay of events (internal to the bus). */
export class EventRouter {
  readonly #subscriptions = new TopicIndex<Subscriber<BusEvent<unknown>>>();
  /** Every live subscriber, to complete them on close. */
  readonly #subscribers = new Set<Subscriber<BusEvent<unknown>>>();
  /**
   * Routed transports: one interest per distinct (pattern, queue), however
   * many subscribers share it, withdrawn with the last of them.
   */
  readonly #interests = new Map<string, RoutedInterest>();
  /** The same interests by id, for frames that say which one they came through (`InboundFrame.via`). */
  readonly #byVia = new Map<number, RoutedInterest>();
  #nextVia = 1;
  /** The last event topic received that passed `checkTopic` (see `onEvent`). */
  #validTopic: string | undefined;
  /** Client side: this bus's patterns, told to its server. */
  readonly #announcer: InterestAnnouncer;
  /** Server side (`capabilities.server`): what each client announced; undefined elsewhere. */
  readonly #peerInterests: PeerInterests | undefined;
  /** Relay flow control: senders not read from while events they sent wait for a receiver's link. */
  readonly #flow: RelayFlow;

  constructor(
    private readonly transport: Transport,
    private readonly o: ResolvedBusOptions,
    private readonly counters: Counters,
    private readonly lifecycle: BusLifecycle,
    private readonly peers: PeerTable,
    private readonly guard: PeerGuard,
    private readonly outbox: Outbox,
  ) {
    this.#announcer = new InterestAnnouncer(transport, o, outbox);
    this.#flow = new RelayFlow(transport, o, counters);
    this.#peerInterests = transport.capabilities.server === true ? new PeerInterests(o.maxInterestsPerPeer) : undefined;
  }

  /**
   * See `MessageBus.publish`. Not `async`: on a started bus it returns the
   * transport's own promise (`FRAME_TAKEN` when every copy was taken at
   * once), so that a publish costs no promise and continuation of its own
   * (8% of a publishing server's profile, with 8 subscribers). Every problem
   * still arrives as a rejection, never a throw.
   */
  publish(topic: string, payload: unknown, options: PublishOptions | undefined): Promise<void> {
    let envelope: Envelope;
    try {
      validateTopic(topic);
      const headers = checkHeaders(options?.headers);
      if (this.lifecycle.closed) throw new BusError('TRANSPORT_CLOSED', 'cannot publish: the bus is closed');
      // Before local delivery, so that this bus's subscribers never see an event its peers cannot.
      if (this.o.checkPayloads) {
        const problem = payloadProblem(payload, 'publish', topic);
        if (problem !== undefined) throw problem;
      }
      this.counters.eventsPublished++;
      envelope = { kind: Kind.Event, id: 0, name: topic, payload, headers };
      if (this.o.localDelivery) this.#deliver(envelope, undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.lifecycle.ready) return this.#publishOut(envelope);
    const sending = envelope;
    return this.lifecycle.start().then(() => this.#publishOut(sending));
  }

  /** Sends a published event to the peers that want it (all, on a transport without interests). */
  #publishOut(envelope: Envelope): Promise<void> {
    const interests = this.#peerInterests;
    if (interests?.active === true) {
      const targets = interests.targets(envelope.name, undefined);
      // Nobody matches: nothing leaves this process.
      if (targets.length === 0) return FRAME_TAKEN;
      // Every peer matches (targets are distinct connected peers): one send to all, the transport's own fan-out.
      if (targets.length !== this.peers.size) return this.outbox.sendEach(envelope, targets);
    }
    return this.outbox.send(envelope, undefined);
  }

  /** See `MessageBus.subscribe`. */
  subscribe(pattern: string, options?: SubscribeOptions): Observable<BusEvent<unknown>> {
    validatePattern(pattern);
    const queue = checkQueue(options, `subscribe('${pattern}')`, this.transport);
    const routed = this.transport.capabilities.routed === true;
    return new Observable<BusEvent<unknown>>((subscriber) => {
      if (this.lifecycle.closed) {
        subscriber.complete();
        return undefined;
      }
      // First, so that an interest the transport refuses errors this subscriber and registers nothing.
      const release = routed ? this.#holdInterest(pattern, queue, subscriber) : undefined;
      const remove = this.#subscriptions.add(pattern, subscriber);
      this.#subscribers.add(subscriber);
      const withdraw = this.#announcer.hold(pattern);
      return () => {
        remove();
        this.#subscribers.delete(subscriber);
        release?.();
        withdraw();
      };
    });
  }

  /** Takes a share of the (pattern, queue) interest, declaring it for the first; returns the release of that share. */
  #holdInterest(pattern: string, queue: string | undefined, subscriber: Subscriber<BusEvent<unknown>>): () => void {
    // A NUL cannot be in a valid pattern, so the key is unambiguous.
    const key = queue === undefined ? pattern : `${pattern}\u0000${queue}`;
    let held = this.#interests.get(key);
    if (held === undefined) {
      const id = this.#nextVia++;
      const withdraw = this.transport.interest({ kind: 'topic', name: pattern, ...(queue !== undefined && { queue }), id });
      held = { id, subscribers: new Set(), withdraw, delivery: undefined };
      this.#interests.set(key, held);
      this.#byVia.set(id, held);
    }
    held.subscribers.add(subscriber);
    held.delivery = undefined;
    const share = held;
    return () => {
      share.subscribers.delete(subscriber);
      share.delivery = undefined;
      if (share.subscribers.size > 0) return;
      if (this.#interests.get(key) === share) this.#interests.delete(key);
      this.#byVia.delete(share.id);
      share.withdraw();
    };
  }

  /** A peer's event: checked, delivered here, and relayed to the other peers when this bus relays. */
  onEvent(envelope: Envelope, peer: PeerInfo, frame: Uint8Array, via?: number): void {
    // The topic last found valid is not checked again: a subscriber mostly hears the same topic in a row
    // (and the envelope decoder hands out the same string for the same bytes, so this compare is cheap).
    if (envelope.name !== this.#validTopic) {
      if (checkTopic(envelope.name) !== undefined) {
        // A peer's topic reaches TopicIndex as data: a wildcard in it would match like a pattern.
        this.counters.decodeFailed++;
        this.guard.reject(peer, 'DECODE_FAILED', `event topic ${JSON.stringify(envelope.name.slice(0, 80))} is not a valid topic`);
        return;
      }
      this.#validTopic = envelope.name;
    }
    this.counters.eventsReceived++;
    if (via !== undefined) {
      this.#deliverVia(envelope, peer, via);
      return;
    }
    this.#deliver(envelope, peer);
    if (this.o.relay) this.#relay(frame, peer, envelope.name);
  }

  /**
   * A `Hello` from a peer: on a server, a client's interest announcement;
   * anything else is ignored, as older buses do (a bus that is no server
   * ignores announcements too: a client on a peer-to-peer link sends them).
   */
  onHello(envelope: Envelope, peer: PeerInfo): void {
    const interests = this.#peerInterests;
    if (interests === undefined || envelope.name !== INTEREST_HELLO) return;
    // Held in async middleware past its peer's leaving: what it announced would outlive it.
    if (!this.peers.present(peer.id)) return;
    const refusal = interests.apply(peer.id, envelope.payload);
    if (refusal === undefined) return;
    this.counters.interestsRefused++;
    const { error, action } = refusal;
    if (action === 'drop') {
      // Its patterns until now would keep matching while it is being dropped: forget them at once.
      interests.forget(peer.id);
      this.guard.reject(peer, error.code, error.message);
      return;
    }
    if (action === 'count') return;
    // Over the count: kept (dropped, it would reconnect and announce the same list forever), sent everything, told once.
    this.o.logger.warn(`client ${peer.id} ${error.message}`, { bus: this.o.name, peer: peer.id, code: error.code });
    const notice: Envelope = { kind: Kind.Error, id: 0, name: '', payload: { code: error.code, message: error.message, origin: 'bus' }, headers: undefined };
    this.outbox.send(notice, peer.id).catch((e: unknown) => this.o.logger.debug('interest notice failed', { bus: this.o.name, peer: peer.id, error: String(e) }));
  }

  /** A peer came or went: its interests start empty-handed ("everything") and go with it. */
  onPeer(event: PeerEvent): void {
    const interests = this.#peerInterests;
    if (interests === undefined) return;
    if (event.type === 'connected') interests.connected(event.peer.id);
    else interests.forget(event.peer.id);
  }

  /** The link (re)opened: a client tells its server its whole list of patterns. */
  announceInterests(): void {
    this.#announcer.announceAll();
  }

  /** Completes every subscription: the bus closed. */
  completeAll(): void {
    this.#flow.close();
    for (const subscriber of [...this.#subscribers]) subscriber.complete();
  }

  #deliver(envelope: Envelope, peer: PeerInfo | undefined): void {
    // A shared array, never changed: a subscribe or unsubscribe inside next() makes the index answer
    // with a new one, so this loop goes on over the subscribers there were when the event arrived.
    const subscribers = this.#subscriptions.lookup(envelope.name);
    const count = subscribers.length;
    if (count === 0) return;
    const event: BusEvent<unknown> = { topic: envelope.name, payload: envelope.payload, headers: envelope.headers, peer };
    for (let i = 0; i < count; i++) subscribers[i]!.next(event);
  }

  /**
   * A routed frame: only the subscribers of the interest it came through,
   * since the network sends one copy per matching interest. An interest
   * withdrawn meanwhile has nobody left to tell.
   */
  #deliverVia(envelope: Envelope, peer: PeerInfo, via: number): void {
    const held = this.#byVia.get(via);
    if (held === undefined) return;
    // A copy of the set per event was this path's one avoidable allocation: one copy per change instead,
    // iterated as a snapshot, so a subscribe or unsubscribe inside next() takes effect from the next event.
    const subscribers = (held.delivery ??= [...held.subscribers]);
    const event: BusEvent<unknown> = { topic: envelope.name, payload: envelope.payload, headers: envelope.headers, peer };
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(event);
  }

  #relay(frame: Uint8Array, from: PeerInfo, topic: string): void {
    let own: Uint8Array | undefined;
    const interests = this.#peerInterests;
    const peers = interests?.active === true ? interests.targets(topic, from.id) : this.peers.ids();
    for (const peer of peers) {
      if (peer === from.id) continue;
      this.counters.eventsRelayed++;
      // A frame cut out of a larger read keeps that whole read alive while it
      // waits for a slow peer, which is charged only the frame's bytes: queue
      // a copy of just the frame, made once and shared by every peer.
      own ??= frame.byteLength < frame.buffer.byteLength ? new Uint8Array(frame) : frame;
      const sent = this.outbox.sendFrame(own, peer);
      // Taken at once (every peer that keeps up): no reaction, so no promise
      // and closure per peer per event (they were a tenth of a hub's CPU).
      // Otherwise the receiver's link is full: flow control holds the sender.
      if (sent !== FRAME_TAKEN) this.#flow.waiting(from.id, peer, sent);
    }
  }
}
