/**
 * A pipebus transport over core NATS. It is routed (`capabilities.routed`):
 * the bus tells it each frame's kind and name, so a request goes to its
 * method's subject, an event to its topic's, and `handle()`/`subscribe()`
 * become NATS subscriptions, in queue groups when asked (subjects.ts has the
 * layout). It never parses a frame.
 *
 * What NATS does not give, the transport adds: "no responders" becomes the
 * bus's `NO_HANDLER` (no-responders.ts); peers are announced on first sight
 * and reported gone on a goodbye, after three missed heartbeats, or when the
 * server says their inbox has no subscriber (presence.ts); frames sent while
 * the link is down wait in a bounded buffer of our own, since nats.js drops
 * them (link.ts).
 */
import { BusError } from '@pipebus/core';
import { FRAGMENT_FRAME_BYTE, FRAME_TAKEN, Kind, Transport, invalidArgument, type Interest, type PeerId, type Route, type TransportCapabilities } from '@pipebus/core/transport-kit';
import { connect, headers, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { explainConnectFailure, subscriptionError } from '../advice/nats-errors.js';
import { resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from '../options/validate.js';
import { Subjects } from '../subjects/subjects.js';
import { Bans } from './bans.js';
import { PublishBatch } from './batch.js';
import { FragmentPulls, PULL_HEADER, fragmentTotal, isFragment } from './fragment-pull.js';
import { Inbound } from './inbound.js';
import { Interests } from './interests.js';
import { Link } from './link.js';
import { RecentRequests } from './no-responders.js';
import { MISSED_BEATS, Presence } from './presence.js';
import { ReconnectBuffer } from './reconnect-buffer.js';
import { Counters, type NatsTransportStats } from './stats.js';

export type { NatsTransportStats } from './stats.js';

const EMPTY = new Uint8Array(0);

/**
 * One pipebus endpoint on NATS. Every transport under the same prefix is a
 * peer of every other; requests find their handlers by method, events their
 * subscribers by topic, and a frame to a peer id goes to that peer's inbox.
 *
 * @example
 * ```ts
 * const bus = new MessageBus(new NatsTransport({ servers: 'nats://127.0.0.1:4222' }));
 * bus.handle('orders.get', fn, { queue: 'orders' }); // load-balanced across processes
 * ```
 */
export class NatsTransport extends Transport {
  readonly #o: ResolvedNatsOptions;
  /** This transport's id, the one token its peers know it by (self-declared: NATS does not vouch for it). */
  readonly peerId: PeerId;
  readonly #subjects: Subjects;
  #capabilities: TransportCapabilities;
  #nc: NatsConnection | undefined;
  readonly #subscriptions: Subscription[] = [];
  readonly #interests: Interests;
  readonly #peers: Presence;
  readonly #bans: Bans;
  readonly #counters = new Counters();
  readonly #recent = new RecentRequests();
  readonly #pulls: FragmentPulls;
  readonly #inbound: Inbound;
  readonly #buffer: ReconnectBuffer;
  readonly #batch = new PublishBatch((error, frames) =>
    this.emitError(new BusError('TRANSPORT_CLOSED', `NATS refused ${frames} frames at the end of the tick (the connection closed under them): ${(error as Error).message}`, { cause: error, details: { frames } })),
  );
  readonly #link: Link;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closing = false;
  /** Bytes published since the server last confirmed it read everything (a flush's PONG). */
  #unconfirmed = 0;
  /** The flush under way once #unconfirmed passed maxUnconfirmedBytes: sends wait for it. */
  #confirming: Promise<void> | undefined;

  constructor(options: NatsTransportOptions) {
    super();
    this.#o = resolveNatsOptions(options);
    this.peerId = `${this.#o.name}-${nuid.next()}`;
    const s = (this.#subjects = new Subjects(this.#o.prefix, this.peerId));
    this.#capabilities = { duplex: true, broadcast: true, reliable: true, ordered: true, routed: true, maxFrameSize: this.#o.maxFrameSize };
    this.#buffer = new ReconnectBuffer(this.#o.reconnectBufferBytes, this.#o.reconnectBufferFrames);
    this.#peers = new Presence((id) => `nats:${this.#o.prefix}.in.${id}`, (event) => this.emitPeer(event), this.#o.maxPeers);
    this.#bans = new Bans(this.#o.banMs, this.#o.maxPeers, this.#o.heartbeatInterval * MISSED_BEATS);
    this.#pulls = new FragmentPulls(this.#o.fragmentStoreBytes, this.#o.fragmentStoreTtl, (peer, frame) => this.#publishOwn(s.directTo(peer), frame, s.replyFor(peer)));
    this.#link = new Link({
      settleMs: this.#o.reconnectSettle,
      peers: this.#peers,
      announce: () => this.#announce(),
      release: () => this.#release(),
      setState: (state) => this.setState(state),
      lost: () => this.#holdBatch(),
    });
    const counters = this.#counters;
    const inbound = (this.#inbound = new Inbound({
      ...{ subjects: s, counters, bans: this.#bans, peers: this.#peers, link: this.#link, recent: this.#recent, pulls: this.#pulls },
      emitFrame: (frame) => this.emitFrame(frame),
      publish: (subject, data, reply) => this.#publishOwn(subject, data, reply),
    }));
    const failed = (error: Error, subject: string): void => this.emitError(subscriptionError(error, subject));
    this.#interests = new Interests(s, (msg, via) => (via === undefined ? inbound.shared(msg) : inbound.event(msg, via)), (msg) => inbound.shared(msg), failed);
  }

  /** Duplex, broadcast and routed; `maxFrameSize` drops to the server's `max_payload` once connected when that is lower. */
  get capabilities(): TransportCapabilities {
    return this.#capabilities;
  }

  /** What this transport counted and dropped. */
  stats(): NatsTransportStats {
    return this.#counters.snapshot(this.#buffer, this.#pulls, this.#peers.refused, this.#interests.size);
  }

  /**
   * Resolves once the server has every subscription and publish this
   * transport made so far (a ping/pong): after `handle()`, the method is
   * reachable from every other client of the server. Rejects
   * `TRANSPORT_CLOSED` when there is no open connection.
   */
  async flush(): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined || this.#closing) throw this.closedError('flush');
    // What this tick's sends left in the batch goes first: the ping must follow it.
    this.#batch.flush();
    await nc.flush();
  }

  protected async doStart(): Promise<void> {
    if (this.#o.connection !== undefined && !this.#o.connection.isClosed()) checkNoEcho(this.#o.connection);
    const nc = this.#o.connection ?? (await this.#connect());
    if (this.#closing) {
      // close() ran while we dialled (it found no connection to close): this one must not stay open behind it.
      if (this.#o.connection === undefined) await nc.close().catch(() => undefined);
      return;
    }
    this.#nc = nc;
    this.#batch.attach(nc);
    const maxPayload = nc.info?.max_payload;
    // Room for nats.js's protocol line and headers: it refuses payload + headers over max_payload.
    if (maxPayload !== undefined && maxPayload - HEADROOM < this.#capabilities.maxFrameSize) {
      this.#capabilities = { ...this.#capabilities, maxFrameSize: Math.max(64, maxPayload - HEADROOM) };
    }
    const s = this.#subjects;
    const inbound = this.#inbound;
    const on = (subject: string, handler: (msg: Msg) => void): Subscription =>
      nc.subscribe(subject, { callback: (error, msg) => (error === null ? handler(msg) : this.emitError(subscriptionError(error, subject))) });
    try {
      this.#subscriptions.push(on(s.inbox, (m) => inbound.inbox(m)), on(s.all, (m) => inbound.shared(m)), on(s.presence, (m) => inbound.presence(m)));
      this.#interests.attach(nc);
      await this.#announce();
    } catch (error) {
      // A start that failed must not leave a connection of ours dialling for ever.
      for (const sub of this.#subscriptions.splice(0)) sub.unsubscribe();
      this.#interests.detach();
      if (this.#o.connection === undefined) await nc.close().catch(() => undefined);
      throw new BusError('OS_ERROR', `could not subscribe and announce this transport under '${this.#o.prefix}': ${(error as Error).message}; is the connection open?`, { cause: error });
    }
    // close() ran during the announce: no heartbeat of a closed transport on a connection that may stay open.
    if (this.#closing) return;
    void this.#watchStatus(nc);
    this.#startHeartbeat(nc);
  }

  protected override doInterest(interest: Interest): () => void {
    return this.#interests.add(interest);
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    return to === undefined ? this.#publish(this.#subjects.all, frame, this.#subjects.replyAll) : this.#sendTo(frame, to);
  }

  protected override doSendRouted(frame: Uint8Array, route: Route, to?: PeerId): Promise<void> {
    if (to !== undefined) return this.#sendTo(frame, to);
    const s = this.#subjects;
    try {
      switch (route.kind) {
        case Kind.Request:
          return this.#shared(s.method(route.name), frame, s.replyForRequest(route.id, this.#recent.note(route.id, route.name)), true);
        case Kind.Event:
          // No reply-to: with one, every event nobody subscribed to would bring back a "no responders" notice.
          return this.#shared(s.event(route.name), frame, undefined, false);
        case Kind.Cancel:
          return this.#publish(s.cancel, frame, s.replyCancel);
        default:
          return this.#publish(s.all, frame, s.replyAll);
      }
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A frame on a subject several may hear (a method's, a topic's). A
   * fragment cannot go there as it is (a queue group would spread one
   * message's fragments over its members): fragment 0 goes with a pull
   * header, the rest wait for the receivers to pull them (fragment-pull.ts).
   */
  #shared(subject: string, frame: Uint8Array, reply: string | undefined, once: boolean): Promise<void> {
    if (!isFragment(frame, FRAGMENT_FRAME_BYTE)) return this.#publish(subject, frame, reply);
    this.#checkFragmentation(frame);
    const hold = this.#pulls.hold(frame, once, subject);
    if (!hold.publish) return FRAME_TAKEN;
    const h = headers();
    h.set(PULL_HEADER, hold.key);
    return this.#publish(subject, frame, reply, h);
  }

  /** With fragmentation off, a message above one frame fails before its first fragment goes. */
  #checkFragmentation(frame: Uint8Array): void {
    if (this.#o.fragmentation) return;
    const total = fragmentTotal(frame);
    throw new BusError(
      'FRAME_TOO_LARGE',
      `a ${total}-byte message does not fit one NATS message (maxFrameSize ${this.#capabilities.maxFrameSize}, from the server's max_payload) and fragmentation is off on this NatsTransport; send less, raise max_payload in the server's configuration, or leave the fragmentation option on`,
      { details: { size: total, maxFrameSize: this.#capabilities.maxFrameSize } },
    );
  }

  #sendTo(frame: Uint8Array, to: PeerId): Promise<void> {
    if (!this.#peers.has(to)) {
      return Promise.reject(new BusError('NOT_FOUND', `no peer '${to}' is known on NATS under '${this.#o.prefix}'; answer a peer id a frame came from`, { details: { peer: to } }));
    }
    if (isFragment(frame, FRAGMENT_FRAME_BYTE)) this.#checkFragmentation(frame);
    return this.#publish(this.#subjects.directTo(to), frame, this.#subjects.replyFor(to));
  }

  #publish(subject: string, frame: Uint8Array, reply: string | undefined, h?: MsgHdrs): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined || this.#closing) return Promise.reject(this.closedError('send'));
    if (this.#link.down) {
      if (this.#buffer.push(subject, frame, reply, h)) return FRAME_TAKEN;
      const b = this.#buffer;
      return Promise.reject(
        new BusError('BUSY', `the NATS link is down and the reconnect buffer is full (${b.frames} frames, ${b.bytes} bytes); retry after the reconnect, or raise reconnectBuffer.maxBytes / maxFrames`, {
          details: { frames: b.frames, bytes: b.bytes, maxBytes: b.maxBytes, maxFrames: b.maxFrames },
        }),
      );
    }
    this.#batch.add(subject, frame, reply, h);
    this.#unconfirmed += frame.byteLength;
    if (this.#unconfirmed <= this.#o.maxUnconfirmedBytes) return FRAME_TAKEN;
    return this.#confirm(nc);
  }

  /**
   * What the transport sends of its own accord (presence answers, pulls,
   * pulled fragments): through the same path as the bus's frames (buffered
   * while the link is down), with nobody to tell when it fails but the log.
   */
  #publishOwn(subject: string, data: Uint8Array, reply: string): void {
    this.#publish(subject, data, reply).catch((error: unknown) => {
      // Closing: nothing of this is owed to anyone. Otherwise (the reconnect buffer full) it is worth a word.
      if (!this.#closing && BusError.is(error)) this.emitError(error);
    });
  }

  /**
   * Backpressure. nats.js has none: publish() appends to a buffer without
   * bound. Past maxUnconfirmedBytes, sends resolve only once the server
   * answered a ping sent after them (it read every byte before it), so a
   * producer that awaits its sends waits for the link, as on a pipe.
   */
  #confirm(nc: NatsConnection): Promise<void> {
    const settle = (): void => {
      // Confirmed, or the link went down meanwhile: what was sent is the server's past, not ours to wait for.
      this.#unconfirmed = 0;
      this.#confirming = undefined;
    };
    // What the batch holds goes to nats.js first, so the ping below follows it.
    this.#batch.flush();
    this.#confirming ??= nc.flush().then(settle, settle);
    return this.#confirming;
  }

  // ── presence and the link ──────────────────────────────────────────────

  /** Beats every heartbeatInterval, and forgets the peers that went silent (see presence.ts). */
  #startHeartbeat(nc: NatsConnection): void {
    const interval = this.#o.heartbeatInterval;
    if (interval === 0) return;
    this.#heartbeat = setInterval(() => {
      // While our own link is down nobody can be heard: silence then says nothing about them.
      if (this.#link.down) return;
      nc.publish(this.#subjects.beat, EMPTY);
      this.#peers.sweep();
    }, interval);
    // The connection's socket keeps the process alive while it is open; this timer need not.
    this.#heartbeat.unref?.();
  }

  /** Says hello once the server has our subscriptions (it answered a ping), so that answers reach us. */
  async #announce(): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined) return;
    await nc.flush();
    // Closed meanwhile (its goodbye may be out already): a hello now would announce a peer that is gone.
    if (this.#closing) return;
    nc.publish(this.#subjects.hello, EMPTY);
  }

  /** Publishes what waited during an outage, in order (Link decided the receivers are back). */
  /** The link dropped: what the tick's batch held goes to the reconnect buffer first, so order is kept. */
  #holdBatch(): void {
    let refused = 0;
    for (const { subject, data, reply, headers } of this.#batch.take()) if (!this.#buffer.push(subject, data, reply, headers)) refused++;
    if (refused > 0) {
      this.emitError(new BusError('BUSY', `the NATS link dropped with ${refused} frames about to be sent and the reconnect buffer could not take them; raise reconnectBuffer.maxBytes / maxFrames`, { details: { frames: refused } }));
    }
  }

  #release(): void {
    const nc = this.#nc;
    if (nc === undefined) return;
    this.#buffer.drain((subject, data, reply, h) => nc.publish(subject, data, { reply, headers: h }));
  }

  /** Follows the connection: down → reconnecting, back → open, given up → closed. */
  async #watchStatus(nc: NatsConnection): Promise<void> {
    const statuses = nc.status();
    this.#link.onStop(() => (statuses as { stop?: () => void }).stop?.());
    for await (const status of statuses) {
      if (this.#closing) return;
      if (status.type === 'disconnect') this.#link.lost();
      else if (status.type === 'reconnect') this.#link.regained();
    }
    if (!this.#closing) {
      this.emitError(new BusError('TRANSPORT_CLOSED', 'the NATS connection closed for good (reconnect attempts exhausted, or closed by its owner)'));
      void this.close();
    }
  }

  protected async doClose(): Promise<void> {
    this.#closing = true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    const nc = this.#nc;
    const wasDown = this.#link.stop();
    if (nc === undefined || nc.isClosed()) return;
    const owned = this.#o.connection === undefined;
    try {
      if (wasDown) {
        // Nothing can be flushed to a server that is not there; say what is lost rather than wait for it.
        if (this.#buffer.frames > 0) {
          this.emitError(new BusError('TRANSPORT_CLOSED', `closed while the NATS link was down: ${this.#buffer.frames} buffered frames were not sent`));
        }
        return;
      }
      // What this tick's sends left in the batch goes before the goodbye and the drain.
      this.#batch.flush();
      nc.publish(this.#subjects.bye, EMPTY);
      for (const sub of this.#subscriptions) sub.unsubscribe();
      this.#interests.detach();
      this.#pulls.clear();
      // Everything published so far reaches the server before the socket closes, within closeTimeout.
      await bounded(owned ? nc.drain() : nc.flush(), this.#o.closeTimeout);
    } catch {
      // Closing: a connection that already failed has nothing left to flush.
    } finally {
      // Ours, and not closed by drain (the link was down, or the drain timed out): stop its reconnect loop too.
      if (owned && !nc.isClosed()) await nc.close().catch(() => undefined);
    }
  }

  override dropPeer(peer: PeerId, reason: string): void {
    this.#bans.add(peer);
    this.#peers.forget(peer, reason);
  }

  async #connect(): Promise<NatsConnection> {
    const servers = this.#o.servers ?? [];
    try {
      // noEcho: our own requests and events must not come back to our own subscriptions (a queue group
      // member calling its own method would otherwise be handed its own request, and drop it).
      return await connect({ noEcho: true, ...this.#o.connectOptions, servers: [...servers] });
    } catch (error) {
      const o = this.#o.connectOptions;
      throw await explainConnectFailure(error, servers, [o.user, o.pass, o.token, o.authenticator].some((v) => v !== undefined));
    }
  }
}

/**
 * Refuses an application connection that echoes the client's own messages
 * (opened without `noEcho: true`): NATS would hand this bus its own
 * requests, which the transport must drop (it is not a peer of itself), so
 * a call to a method the bus handles too hung until its timeout, and a
 * queue group it belongs to lost every call NATS gave to the caller itself.
 * A connection whose options are not readable (not nats.js's) is taken as it is.
 */
function checkNoEcho(nc: NatsConnection): void {
  const options = (nc as { options?: { noEcho?: unknown } }).options;
  if (options === undefined || options.noEcho === true) return;
  throw invalidArgument(
    "NatsTransport: the 'connection' echoes its own messages back (it was opened without noEcho), so this bus would be handed its own requests and drop them; open it with connect({ noEcho: true, ... }), or give 'servers' and let the transport connect",
    { option: 'connection' },
  );
}

/** Bytes of max_payload kept for nats.js's headers (a frame plus headers must fit). */
const HEADROOM = 512;

/** `work`, or a settled promise after `ms`, whichever comes first. */
function bounded(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
