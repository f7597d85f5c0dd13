/**
 * A pipebus transport over core NATS (spike: the unrouted mapping, see
 * `subjects/subjects.ts`). It moves opaque frames like every transport; what
 * NATS adds is that peers are other transports under the same subject
 * prefix, named by the ids they declare.
 *
 * While the link is down, frames wait in a bounded buffer of the
 * transport's own (nats.js drops what is published then) and go out in
 * order once the peers known before the outage are back, or after
 * `reconnectSettle`.
 *
 * Peers are announced on first sight and reported gone on a goodbye or after
 * three missed heartbeats (presence.ts).
 *
 * Not here yet (issue 17; each needs core to tell the transport a frame's
 * kind and name, or is transport work still to do): subjects per method and
 * topic, queue groups, "no responders", fragment pulls on shared subjects.
 */
import { BusError } from '@pipebus/core';
import { FRAME_TAKEN, Transport, type PeerId, type TransportCapabilities } from '@pipebus/core/transport-kit';
import { connect, nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from '../options/validate.js';
import { Subjects } from '../subjects/subjects.js';
import { Presence } from './presence.js';
import { ReconnectBuffer } from './reconnect-buffer.js';

/** Counters of what this transport dropped, as a fresh object from {@link NatsTransport.stats}. */
export interface NatsTransportStats {
  /** Messages on our subjects that no pipebus transport sent (no parsable reply-to): another NATS client's, dropped. */
  readonly foreignMessages: number;
  /** Messages from a peer this transport dropped (`dropPeer`), ignored. */
  readonly bannedMessages: number;
  /**
   * "No responders" notices from the server (status 503): a frame this
   * transport sent to a peer was heard by nobody (the peer is gone).
   */
  readonly noResponders: number;
  /** Frames held now while the link is down. */
  readonly reconnectBuffered: number;
  /** Sends refused with `BUSY` because the reconnect buffer was full. */
  readonly reconnectRejected: number;
}

/**
 * One pipebus endpoint on NATS. Every transport under the same prefix is a
 * peer of every other: a send without `to` reaches all of them, a send to a
 * peer id reaches that one.
 *
 * @example
 * ```ts
 * const bus = new MessageBus(new NatsTransport({ servers: 'nats://127.0.0.1:4222' }));
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
  readonly #peers: Presence;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  readonly #banned = new Set<PeerId>();
  #status: { stop?: () => void } | undefined;
  #foreign = 0;
  #bannedMessages = 0;
  #noResponders = 0;
  #closing = false;
  readonly #buffer: ReconnectBuffer;
  /** True from a disconnect until the buffer went out after the reconnect: sends go to the buffer. */
  #linkDown = false;
  /** After a reconnect: the peers still to say they are back before the buffer goes out. */
  #awaited: Set<PeerId> | undefined;
  #settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes published since the server last confirmed it read everything (a flush's PONG). */
  #unconfirmed = 0;
  /** The flush under way once #unconfirmed passed maxUnconfirmedBytes: sends wait for it. */
  #confirming: Promise<void> | undefined;

  constructor(options: NatsTransportOptions) {
    super();
    this.#o = resolveNatsOptions(options);
    this.peerId = `${this.#o.name}-${nuid.next()}`;
    this.#subjects = new Subjects(this.#o.prefix, this.peerId);
    this.#capabilities = { duplex: true, broadcast: true, reliable: true, ordered: true, maxFrameSize: this.#o.maxFrameSize };
    this.#buffer = new ReconnectBuffer(this.#o.reconnectBufferBytes, this.#o.reconnectBufferFrames);
    this.#peers = new Presence((id) => `nats:${this.#o.prefix}.in.${id}`, (event) => this.emitPeer(event));
  }

  /** Duplex and broadcast; `maxFrameSize` drops to the server's `max_payload` once connected when that is lower. */
  get capabilities(): TransportCapabilities {
    return this.#capabilities;
  }

  /** What this transport counted and dropped. */
  stats(): NatsTransportStats {
    return { foreignMessages: this.#foreign, bannedMessages: this.#bannedMessages, noResponders: this.#noResponders, reconnectBuffered: this.#buffer.frames, reconnectRejected: this.#buffer.rejected };
  }

  protected async doStart(): Promise<void> {
    const nc = this.#o.connection ?? (await this.#connect());
    this.#nc = nc;
    const maxPayload = nc.info?.max_payload;
    if (maxPayload !== undefined && maxPayload < this.#capabilities.maxFrameSize) {
      this.#capabilities = { ...this.#capabilities, maxFrameSize: maxPayload };
    }
    const s = this.#subjects;
    const onMessage = (error: Error | null, msg: Msg): void => {
      if (error !== null) this.emitError(new BusError('OS_ERROR', `NATS subscription failed: ${error.message}`, { cause: error }));
      else this.#receive(msg);
    };
    try {
      for (const subject of [s.inbox, s.all, `${s.prefix}.presence.>`]) this.#subscriptions.push(nc.subscribe(subject, { callback: onMessage }));
      await this.#announce(nc);
    } catch (error) {
      // A start that failed must not leave a connection of ours dialling for ever.
      for (const sub of this.#subscriptions.splice(0)) sub.unsubscribe();
      if (this.#o.connection === undefined) await nc.close().catch(() => undefined);
      throw new BusError('OS_ERROR', `could not subscribe and announce this transport under '${this.#o.prefix}': ${(error as Error).message}; is the connection open?`, { cause: error });
    }
    void this.#watchStatus(nc);
    this.#startHeartbeat(nc);
  }

  /** Beats every heartbeatInterval, and forgets the peers that went silent (see presence.ts). */
  #startHeartbeat(nc: NatsConnection): void {
    const interval = this.#o.heartbeatInterval;
    if (interval === 0) return;
    this.#heartbeat = setInterval(() => {
      // While our own link is down nobody can be heard: silence then says nothing about them.
      if (this.#linkDown) return;
      nc.publish(this.#subjects.beat, new Uint8Array(0), { reply: this.#subjects.self });
      this.#peers.sweep(interval);
    }, interval);
    // The connection's socket keeps the process alive while it is open; this timer need not.
    this.#heartbeat.unref?.();
  }

  /** Says hello once the server has our subscriptions (it answered a ping), so that answers reach us. */
  async #announce(nc: NatsConnection): Promise<void> {
    await nc.flush();
    nc.publish(this.#subjects.hello, new Uint8Array(0), { reply: this.#subjects.self });
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined || this.#closing) return Promise.reject(this.closedError('send'));
    if (to !== undefined && !this.#peers.has(to)) {
      return Promise.reject(new BusError('NOT_FOUND', `no peer '${to}' is known on NATS under '${this.#o.prefix}'; answer a peer id a frame came from`, { details: { peer: to } }));
    }
    const subject = to === undefined ? this.#subjects.all : this.#subjects.direct(to);
    if (this.#linkDown) {
      if (this.#buffer.push(subject, frame)) return FRAME_TAKEN;
      return Promise.reject(
        new BusError('BUSY', `the NATS link is down and the reconnect buffer is full (${this.#buffer.frames} frames, ${this.#buffer.bytes} bytes); retry after the reconnect, or raise reconnectBuffer.maxBytes / maxFrames`, {
          details: { frames: this.#buffer.frames, bytes: this.#buffer.bytes, maxBytes: this.#buffer.maxBytes, maxFrames: this.#buffer.maxFrames },
        }),
      );
    }
    try {
      nc.publish(subject, frame, { reply: this.#subjects.self });
    } catch (error) {
      return Promise.reject(new BusError('TRANSPORT_CLOSED', `NATS refused the frame: ${(error as Error).message}`, { cause: error }));
    }
    this.#unconfirmed += frame.byteLength;
    if (this.#unconfirmed <= this.#o.maxUnconfirmedBytes) return FRAME_TAKEN;
    return this.#confirm(nc);
  }

  /**
   * Backpressure. nats.js has none: publish() appends to a buffer without
   * bound. Past maxUnconfirmedBytes, sends resolve only once the server
   * answered a ping sent after them (it read every byte before it), so a
   * producer that awaits its sends waits for the link, as on a pipe.
   */
  #confirm(nc: NatsConnection): Promise<void> {
    this.#confirming ??= nc.flush().then(
      () => {
        this.#unconfirmed = 0;
        this.#confirming = undefined;
      },
      () => {
        // The link went down meanwhile: what was sent is the server's past, not ours to wait for.
        this.#unconfirmed = 0;
        this.#confirming = undefined;
      },
    );
    return this.#confirming;
  }

  protected async doClose(): Promise<void> {
    this.#closing = true;
    this.#status?.stop?.();
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    if (this.#settleTimer !== undefined) clearTimeout(this.#settleTimer);
    const nc = this.#nc;
    if (nc === undefined || nc.isClosed()) return;
    const owned = this.#o.connection === undefined;
    try {
      // Up again but still settling: what waited goes out before the goodbye.
      if (this.#awaited !== undefined) this.#release(nc);
      if (this.#linkDown) {
        // Nothing can be flushed to a server that is not there; say what is lost rather than wait for it.
        if (this.#buffer.frames > 0) {
          this.emitError(new BusError('TRANSPORT_CLOSED', `closed while the NATS link was down: ${this.#buffer.frames} buffered frames were not sent`));
        }
        return;
      }
      nc.publish(this.#subjects.bye, new Uint8Array(0), { reply: this.#subjects.self });
      for (const sub of this.#subscriptions) sub.unsubscribe();
      // Everything published so far reaches the server before the socket closes, within CLOSE_TIMEOUT_MS.
      await bounded(owned ? nc.drain() : nc.flush(), CLOSE_TIMEOUT_MS);
    } catch {
      // Closing: a connection that already failed has nothing left to flush.
    } finally {
      // Ours, and not closed by drain (the link was down, or the drain timed out): stop its reconnect loop too.
      if (owned && !nc.isClosed()) await nc.close().catch(() => undefined);
    }
  }

  override dropPeer(peer: PeerId, reason: string): void {
    this.#banned.add(peer);
    this.#peers.forget(peer, reason);
  }

  async #connect(): Promise<NatsConnection> {
    try {
      return await connect({ ...this.#o.connectOptions, servers: [...(this.#o.servers ?? [])] });
    } catch (error) {
      throw connectError(error, this.#o.servers ?? []);
    }
  }

  #receive(msg: Msg): void {
    const s = this.#subjects;
    // Every publish of ours names our inbox as reply-to, so the server tells us there when nobody heard one.
    if (msg.headers?.code === 503) {
      this.#noResponders++;
      return;
    }
    const sender = s.senderOf(msg.reply);
    if (sender === undefined) {
      this.#foreign++;
      return;
    }
    if (sender === this.peerId) return; // our own broadcast, echoed back
    if (this.#banned.has(sender)) {
      this.#bannedMessages++;
      return;
    }
    if (msg.subject === s.bye) {
      this.#peers.forget(sender, 'it closed');
      return;
    }
    const peer = this.#peers.heard(sender);
    if (msg.subject === s.beat) return;
    if (msg.subject === s.hello || msg.subject === s.hereForMe) {
      // A newcomer (or a peer back from its own reconnect) learns we are here.
      if (msg.subject === s.hello) this.#nc?.publish(s.here(sender), new Uint8Array(0), { reply: s.self });
      this.#back(sender);
      return;
    }
    this.emitFrame({ data: msg.data, peer });
  }

  #onDisconnect(): void {
    this.#linkDown = true;
    this.#awaited = undefined;
    if (this.#settleTimer !== undefined) clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    this.setState('reconnecting');
  }

  /**
   * Back on a server (nats.js re-sent our subscriptions already): say hello
   * again, and send the buffer once every peer known before the outage
   * answered (it re-subscribed too), or after `reconnectSettle` (some may be
   * gone for good).
   */
  #onReconnect(nc: NatsConnection): void {
    this.#peers.refresh();
    this.#awaited = new Set(this.#peers.ids());
    this.#announce(nc).catch(() => undefined);
    if (this.#awaited.size === 0) {
      this.#release(nc);
      return;
    }
    this.#settleTimer = setTimeout(() => this.#release(nc), this.#o.reconnectSettle);
    this.#settleTimer.unref?.();
  }

  /** `peer` said it is here: the last awaited one releases the buffer. */
  #back(peer: PeerId): void {
    const awaited = this.#awaited;
    if (awaited === undefined || !awaited.delete(peer) || awaited.size > 0 || this.#nc === undefined) return;
    this.#release(this.#nc);
  }

  /** Publishes what waited, in order, then takes sends directly again. */
  #release(nc: NatsConnection): void {
    if (!this.#linkDown) return;
    if (this.#settleTimer !== undefined) clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    this.#awaited = undefined;
    const reply = this.#subjects.self;
    this.#buffer.drain((subject, data) => nc.publish(subject, data, { reply }));
    this.#linkDown = false;
    this.setState('open');
  }

  /** Follows the connection: down → reconnecting, back → open, given up → closed. */
  async #watchStatus(nc: NatsConnection): Promise<void> {
    const statuses = nc.status();
    this.#status = statuses as { stop?: () => void };
    for await (const status of statuses) {
      if (this.#closing) return;
      if (status.type === 'disconnect') this.#onDisconnect();
      else if (status.type === 'reconnect') this.#onReconnect(nc);
    }
    if (!this.#closing) {
      this.emitError(new BusError('TRANSPORT_CLOSED', 'the NATS connection closed for good (reconnect attempts exhausted, or closed by its owner)'));
      void this.close();
    }
  }
}

/** How long close() waits for the server to confirm what was sent. */
const CLOSE_TIMEOUT_MS = 2000;

/** `work`, or a settled promise after `ms`, whichever comes first. */
function bounded(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A failed first connect, as a BusError whose code says what to fix. */
function connectError(error: unknown, servers: readonly string[]): BusError {
  const message = error instanceof Error ? error.message : String(error);
  const where = servers.join(', ');
  if (/auth/i.test(message)) {
    return new BusError('ACCESS_DENIED', `the NATS server at ${where} refused our credentials (${message}); check connectOptions (user/pass, token, nkey, creds)`, { cause: error });
  }
  if (/refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout/i.test(message)) {
    return new BusError('NOT_FOUND', `no NATS server answered at ${where} (${message}); is nats-server running there?`, { cause: error, details: { servers: [...servers] } });
  }
  return new BusError('OS_ERROR', `could not connect to NATS at ${where}: ${message}`, { cause: error });
}
