import { BusError, type PeerId } from '@pipebus/core';
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { FaultInjector } from '../faults/fault-injector.js';
import type { MutableTrafficEntry } from '../traffic/traffic-entry.js';
import type { BoardClient, BoardEndpoint, ClientBoard, Connection, GroupBoard, ListenerBoard } from './board-ports.js';
import { Link, type LinkContext } from './link.js';

const NO_CONNECTIONS: ReadonlyMap<PeerId, Connection> = new Map();

/**
 * The network's bookkeeping: who listens where, who is connected to whom,
 * which links are severed. It owns the connection state; endpoints reach it
 * through the small interfaces of `board-ports.ts` and ask it who they are
 * connected to. One per `MockNetwork`, so tests never share state.
 */
export class Switchboard implements ListenerBoard, ClientBoard, GroupBoard {
  readonly #listeners = new Map<string, BoardEndpoint>();
  readonly #clients = new Map<string, BoardClient>();
  /** Each client's live connection. */
  readonly #clientConnections = new Map<BoardClient, Connection>();
  /** Each listener's live connections, by client peer id. */
  readonly #listenerConnections = new Map<BoardEndpoint, Map<PeerId, Connection>>();
  readonly #groups = new Map<string, Set<BoardEndpoint>>();
  readonly #memberLinks = new Map<string, Link>();
  readonly #severed = new Set<string>();
  readonly #linkContext: LinkContext;
  #nextId = 0;
  #nextPid = 4000;

  constructor(
    readonly clock: VirtualClock,
    faults: FaultInjector,
    readonly defaultLinkCapacity: number,
    record: (entry: Omit<MutableTrafficEntry, 'seq' | 'time'>) => MutableTrafficEntry,
  ) {
    this.#linkContext = { clock, faults, record };
  }

  /** A network-unique peer id for an endpoint created with `name`. */
  nextId(name: string): string {
    return `${name}#${++this.#nextId}`;
  }

  /** A fake process id, distinct per endpoint so tests can tell peers apart. */
  nextPid(): number {
    return this.#nextPid++;
  }

  // --- listeners and clients -------------------------------------------------

  /**
   * Registers a listener. The caller then marks it open and calls
   * {@link Switchboard.wake}, so its clients arrive at an open listener.
   */
  openListener(listener: BoardEndpoint): void {
    const current = this.#listeners.get(listener.address);
    if (current !== undefined && current !== listener) {
      throw new BusError('ADDRESS_IN_USE', `address '${listener.address}' already has a listener on this MockNetwork; close it first or pick another address`, {
        details: { address: listener.address },
      });
    }
    this.#listeners.set(listener.address, listener);
    // A listener (re)started is a fresh endpoint: an earlier disconnect of
    // its address no longer applies.
    this.#severed.delete(listener.address);
  }

  /** Unregisters a listener and severs all its connections. */
  async closeListener(listener: BoardEndpoint): Promise<void> {
    if (this.#listeners.get(listener.address) === listener) this.#listeners.delete(listener.address);
    await Promise.all([...this.connectionsOf(listener).values()].map((c) => this.sever(c, 'listener closed')));
  }

  /** The listener's live connections, by client peer id. */
  connectionsOf(listener: BoardEndpoint): ReadonlyMap<PeerId, Connection> {
    return this.#listenerConnections.get(listener) ?? NO_CONNECTIONS;
  }

  /** The client's live connection, if any. */
  connectionOf(client: BoardClient): Connection | undefined {
    return this.#clientConnections.get(client);
  }

  /** True when `client` could connect now: a listener is up and neither end is severed. */
  reachable(client: BoardClient): boolean {
    return this.#listeners.has(client.address) && !this.#severed.has(client.address) && !this.#severed.has(client.id);
  }

  /** Connects `client` to the listener at its address (the caller checked `reachable`). */
  connect(client: BoardClient): void {
    const listener = this.#listeners.get(client.address)!;
    this.#clients.set(client.id, client);
    const ends = { address: client.address };
    const up = new Link({ ...ends, from: client.id, to: listener.id }, client.linkCapacity ?? this.defaultLinkCapacity, this.#linkContext, (data) =>
      listener.port.deliver({ data, peer: client.info }),
    );
    const down = new Link({ ...ends, from: listener.id, to: client.id }, listener.linkCapacity ?? this.defaultLinkCapacity, this.#linkContext, (data) =>
      client.port.deliver({ data, peer: listener.info }),
    );
    const connection: Connection = { listener, client, up, down };
    let connections = this.#listenerConnections.get(listener);
    if (connections === undefined) {
      connections = new Map();
      this.#listenerConnections.set(listener, connections);
    }
    connections.set(client.id, connection);
    this.#clientConnections.set(client, connection);
    listener.port.peer({ type: 'connected', peer: client.info });
    client.port.peer({ type: 'connected', peer: listener.info });
  }

  /**
   * Cuts a connection: both links stop, both sides see the peer leave. The
   * client then closes or parks for a reconnect; the returned promise
   * settles when it has.
   */
  async sever(connection: Connection, reason: string): Promise<void> {
    const { listener, client } = connection;
    if (this.#clientConnections.get(client) !== connection) return;
    this.#clientConnections.delete(client);
    const connections = this.#listenerConnections.get(listener);
    connections?.delete(client.id);
    if (connections?.size === 0) this.#listenerConnections.delete(listener);
    connection.up.sever();
    connection.down.sever();
    listener.port.peer({ type: 'disconnected', peer: client.info, reason });
    client.port.peer({ type: 'disconnected', peer: listener.info, reason });
    await client.linkLost();
  }

  /** Reconnects `client` once its address is reachable again (perhaps at once). */
  parkForReconnect(): void {
    // Not synchronously: the disconnect's events settle first, so a dropped
    // client is seen to leave before it is seen to return.
    queueMicrotask(() => this.wake());
  }

  /** Forgets a closing client, or one that gave up waiting. */
  forgetClient(client: BoardClient): void {
    if (this.#clients.get(client.id) === client) this.#clients.delete(client.id);
  }

  /** Notes a started client, so `disconnect(peerId)` and {@link Switchboard.wake} can find it. */
  trackClient(client: BoardClient): void {
    this.#clients.set(client.id, client);
  }

  // --- network faults -----------------------------------------------------------

  /** Severs a listener's address or one client's link, until `restore` or a listener (re)start. */
  async disconnect(target: string): Promise<void> {
    const listener = this.#listeners.get(target);
    const client = this.#clients.get(target);
    if (listener === undefined && client === undefined) {
      if (this.#groups.has(target)) {
        throw new BusError('NOT_SUPPORTED', `'${target}' is a mailslot group: mailslots have no connections to cut; use setFaults({ drop: 1 }, { address: '${target}' }) instead`);
      }
      throw new BusError('NOT_FOUND', `nothing to disconnect at '${target}': pass a listener's address or a client's peer id (e.g. 'client#1')`, { details: { target } });
    }
    this.#severed.add(target);
    const clientConnection = client === undefined ? undefined : this.#clientConnections.get(client);
    const connections = listener !== undefined ? [...this.connectionsOf(listener).values()] : clientConnection !== undefined ? [clientConnection] : [];
    await Promise.all(connections.map((c) => this.sever(c, `network.disconnect('${target}')`)));
  }

  /** Lifts a `disconnect`; reconnecting and waiting clients connect if they can. */
  restore(target: string): void {
    this.#severed.delete(target);
    this.wake();
  }

  /** Connects every client that waits (in `start` or to reconnect) and can reach its listener now. */
  wake(): void {
    for (const client of this.#clients.values()) {
      if (!this.#clientConnections.has(client) && client.wantsLink && this.reachable(client)) {
        this.connect(client);
        client.linkRestored();
      }
    }
  }

  // --- mailslot groups -------------------------------------------------------------

  /** Adds a member to its group. */
  joinGroup(member: BoardEndpoint): void {
    const group = this.#groups.get(member.address) ?? new Set();
    group.add(member);
    this.#groups.set(member.address, group);
  }

  /** Removes a member and loses every frame in flight to or from it. */
  leaveGroup(member: BoardEndpoint): void {
    const group = this.#groups.get(member.address);
    group?.delete(member);
    if (group?.size === 0) this.#groups.delete(member.address);
    for (const [key, link] of this.#memberLinks) {
      if (link.ends.from === member.id || link.ends.to === member.id) {
        link.sever();
        this.#memberLinks.delete(key);
      }
    }
  }

  /** Members of `member`'s group other than itself, with the link to each. */
  linksFrom(member: BoardEndpoint): Link[] {
    const group = this.#groups.get(member.address) ?? new Set<BoardEndpoint>();
    return [...group].filter((m) => m !== member).map((to) => this.#memberLink(member, to));
  }

  #memberLink(from: BoardEndpoint, to: BoardEndpoint): Link {
    const key = `${from.id}>${to.id}`;
    let link = this.#memberLinks.get(key);
    if (link === undefined) {
      link = new Link({ from: from.id, to: to.id, address: from.address }, from.linkCapacity ?? this.defaultLinkCapacity, this.#linkContext, (data) =>
        to.port.deliver({ data, peer: from.info }),
      );
      this.#memberLinks.set(key, link);
    }
    return link;
  }
}
