/**
 * A pipebus transport over core NATS (spike: the unrouted mapping, see
 * `subjects/subjects.ts`). It moves opaque frames like every transport; what
 * NATS adds is that peers are other transports under the same subject
 * prefix, named by the ids they declare.
 *
 * Not here yet (issue 17; each needs core to tell the transport a frame's
 * kind and name, or is transport work still to do): subjects per method and
 * topic, queue groups, "no responders", heartbeats, the reconnect buffer,
 * fragment pulls on shared subjects, drain bounded in time.
 */
import { BusError } from '@pipebus/core';
import { FRAME_TAKEN, Transport, type PeerId, type PeerInfo, type TransportCapabilities } from '@pipebus/core/transport-kit';
import { connect, nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from '../options/validate.js';
import { Subjects } from '../subjects/subjects.js';

/** Counters of what this transport dropped, as a fresh object from {@link NatsTransport.stats}. */
export interface NatsTransportStats {
  /** Messages on our subjects that no pipebus transport sent (no parsable reply-to): another NATS client's, dropped. */
  readonly foreignMessages: number;
  /** Messages from a peer this transport dropped (`dropPeer`), ignored. */
  readonly bannedMessages: number;
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
  readonly #peers = new Map<PeerId, PeerInfo>();
  readonly #banned = new Set<PeerId>();
  #status: { stop?: () => void } | undefined;
  #foreign = 0;
  #bannedMessages = 0;
  #closing = false;

  constructor(options: NatsTransportOptions) {
    super();
    this.#o = resolveNatsOptions(options);
    this.peerId = `${this.#o.name}-${nuid.next()}`;
    this.#subjects = new Subjects(this.#o.prefix, this.peerId);
    this.#capabilities = { duplex: true, broadcast: true, reliable: true, ordered: true, maxFrameSize: this.#o.maxFrameSize };
  }

  /** Duplex and broadcast; `maxFrameSize` drops to the server's `max_payload` once connected when that is lower. */
  get capabilities(): TransportCapabilities {
    return this.#capabilities;
  }

  /** What this transport counted and dropped. */
  stats(): NatsTransportStats {
    return { foreignMessages: this.#foreign, bannedMessages: this.#bannedMessages };
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
    for (const subject of [s.inbox, s.all, `${s.prefix}.presence.>`]) this.#subscriptions.push(nc.subscribe(subject, { callback: onMessage }));
    void this.#watchStatus(nc);
    // The server has our subscriptions once it answered this ping: only then may peers be told we are here.
    await nc.flush();
    nc.publish(s.hello, new Uint8Array(0), { reply: s.self });
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    const nc = this.#nc;
    if (nc === undefined || this.#closing) return Promise.reject(this.closedError('send'));
    if (to !== undefined && !this.#peers.has(to)) {
      return Promise.reject(new BusError('NOT_FOUND', `no peer '${to}' is known on NATS under '${this.#o.prefix}'; answer a peer id a frame came from`, { details: { peer: to } }));
    }
    try {
      nc.publish(to === undefined ? this.#subjects.all : this.#subjects.direct(to), frame, { reply: this.#subjects.self });
    } catch (error) {
      return Promise.reject(new BusError('TRANSPORT_CLOSED', `NATS refused the frame: ${(error as Error).message}`, { cause: error }));
    }
    return FRAME_TAKEN;
  }

  protected async doClose(): Promise<void> {
    this.#closing = true;
    this.#status?.stop?.();
    const nc = this.#nc;
    if (nc === undefined || nc.isClosed()) return;
    try {
      nc.publish(this.#subjects.bye, new Uint8Array(0), { reply: this.#subjects.self });
      for (const sub of this.#subscriptions) sub.unsubscribe();
      // Everything published so far reaches the server before the socket closes.
      if (this.#o.connection === undefined) await nc.drain();
      else await nc.flush();
    } catch {
      // Closing: a connection that already failed has nothing left to flush.
    }
  }

  override dropPeer(peer: PeerId, reason: string): void {
    this.#banned.add(peer);
    this.#forget(peer, reason);
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
      this.#forget(sender, 'it closed');
      return;
    }
    const peer = this.#peer(sender);
    if (msg.subject === s.hello) return;
    this.emitFrame({ data: msg.data, peer });
  }

  /** The peer `id`, announced as connected the first time it is heard. */
  #peer(id: PeerId): PeerInfo {
    let peer = this.#peers.get(id);
    if (peer === undefined) {
      peer = { id, address: `nats:${this.#o.prefix}.in.${id}` };
      this.#peers.set(id, peer);
      this.emitPeer({ type: 'connected', peer });
    }
    return peer;
  }

  #forget(id: PeerId, reason: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    this.#peers.delete(id);
    this.emitPeer({ type: 'disconnected', peer, reason });
  }

  /** Follows the connection: down → reconnecting, back → open, given up → closed. */
  async #watchStatus(nc: NatsConnection): Promise<void> {
    const statuses = nc.status();
    this.#status = statuses as { stop?: () => void };
    for await (const status of statuses) {
      if (this.#closing) return;
      if (status.type === 'disconnect') this.setState('reconnecting');
      else if (status.type === 'reconnect') this.setState('open');
    }
    if (!this.#closing) {
      this.emitError(new BusError('TRANSPORT_CLOSED', 'the NATS connection closed for good (reconnect attempts exhausted, or closed by its owner)'));
      void this.close();
    }
  }
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
