import type net from 'node:net';
import { BusError, type Clock, type Logger } from '@pipebus/core';
import { FRAME_TAKEN, Transport, type PeerId, type PeerInfo, type TransportCapabilities } from '@pipebus/core/transport-kit';
import { accessPolicy, refusal, type AccessPolicy, type AllowPeers } from '../access/peer-access.js';
import { resolvePipeAddress, type ResolvedPipeAddress } from '../address/resolve-address.js';
import { Greeting, greetingWord, refuseWith } from '../link/handshake.js';
import { InboundBudget } from '../link/inbound-budget.js';
import type { LinkFault } from '../link/link-options.js';
import { PipeLink } from '../link/pipe-link.js';
import { emptyStats, type PipeStats } from '../link/pipe-stats.js';
import {
  DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PENDING_SEND_BYTES, MAX_FRAME_SIZE_LIMIT, SERVER_OPTION_KEYS, defaultMaxInboundBufferBytes,
  optionalBoolean, optionalDir, optionalInteger, optionalLogger, requireObject,
} from '../options/validate.js';
import { optionalClock } from '@pipebus/os';
import { injectedBackend } from '../backend/backend-seam.js';
import { loadBackend } from '../backend/choose-backend.js';
import type { PeerIdentity, PipeBackend, PipeListener } from '../backend/pipe-backend.js';

/** Options of a {@link NamedPipeServer}. */
export interface PipeServerOptions {
  /** `pipe://name`, `\\.\pipe\name` (Windows name; POSIX maps it to the runtime dir) or `/path/to.sock` (POSIX). */
  address: string;
  /** No framing: each chunk read is one frame and `send` writes bytes as they are (for native programs). Default false. */
  raw?: boolean;
  /** Largest frame, bytes; a peer announcing more is dropped before anything is allocated. Default 16 MiB. */
  maxFrameSize?: number;
  /**
   * Which users may connect. Default `'same-user'` (Windows: the DACL; POSIX: the private
   * dir and each peer's uid). `'any-user'`, or `{ uids, sids }` for this user plus those listed.
   */
  allow?: AllowPeers;
  /** The older spelling of `allow: 'any-user'` (true). Default false. Giving both, contradicting, is INVALID_ARGUMENT. */
  allowOtherUsers?: boolean;
  /** POSIX: the private directory for `pipe://` sockets instead of {@link defaultRuntimeDir}. */
  runtimeDir?: string;
  /** Simultaneous clients; more are refused. Default 256 (Windows caps pipe instances at 255 per name). */
  maxClients?: number;
  /** Where drops and refusals are logged. Default `consoleLogger`. */
  logger?: Logger;
  /**
   * Memory that may wait for one peer to read before it is dropped as not reading: each queued
   * send is charged its bytes + 772 (its real heap cost), plus the socket's unflushed bytes. Default 8 MiB.
   */
  maxPendingSendBytes?: number;
  /**
   * ms a peer's link may stay full (it sends but does not read our answers) before it is
   * dropped as a flood. Reading from it pauses meanwhile, so memory stays bounded. Default 30000.
   */
  stallTimeout?: number;
  /**
   * ms a new client has to send its first complete frame (raw mode: its first byte); one
   * that does not is dropped, so slow or silent peers cannot hold the `maxClients` slots.
   * 0 turns it off. Default 10000.
   */
  firstFrameTimeout?: number;
  /**
   * ms a peer has to finish a frame once its first byte came; one that does not is dropped
   * (a trickle holds a slot and a growing buffer). Idle time between whole frames is not
   * limited. 0 turns it off. Default 30000.
   */
  frameTimeout?: number;
  /**
   * Bytes all unfinished inbound frames together may hold (each grows with the bytes received).
   * A link whose frame needs more than is left stops being read (its peer's writes block) until
   * other frames complete or links close; links wait first come, first served, and `maxFrameSize`
   * of it is kept so that one frame can always finish. From `maxFrameSize`. Default 4 ×
   * `maxFrameSize` (64 MiB).
   */
  maxInboundBufferBytes?: number;
  /**
   * ms a peer may go without sending a complete frame (from connecting, or from its last one)
   * before it is dropped, so idle peers cannot hold `maxClients` slots forever. A client that
   * only listens must then send something (such as `bus.ping()`) more often. 0 (the default)
   * turns it off: a client may stay quiet for hours.
   */
  idleTimeout?: number;
  /**
   * Clients one user may have connected at once (POSIX uid; Windows user SID, clients whose
   * user cannot be read counting as one user); more get BUSY as over `maxClients`. Default
   * `maxClients` (no extra cap). A server that admits other users with `allow` should set it,
   * so that no one user can take every slot.
   */
  maxClientsPerUser?: number;
  /**
   * The time source of every server timer: `stallTimeout`, `firstFrameTimeout`,
   * `frameTimeout`, `idleTimeout` and the grace a refused client gets to read
   * why. Default `systemClock`; tests pass a virtual clock.
   */
  clock?: Clock;
}

interface ServerPeer {
  readonly info: PeerInfo;
  readonly link: PipeLink;
  /** Set by dropPeer: why we cut this peer. */
  dropReason?: string;
}

const WHAT = 'NamedPipeServer';

/**
 * The listening side of a named pipe (Windows) or unix socket (POSIX): any
 * number of clients, each a peer with its OS identity (pid; uid/gid on POSIX).
 *
 * @example
 * ```ts
 * const server = new NamedPipeServer({ address: 'pipe://orders' });
 * const bus = new MessageBus(server);
 * bus.handle('orders.get', ({ id }, ctx) => lookup(id, ctx.peer.pid));
 * await bus.start();
 * ```
 */
export class NamedPipeServer extends Transport {
  readonly capabilities: TransportCapabilities;
  /** The OS path served: `\\.\pipe\pipebus-orders` or the socket file. */
  readonly path: string;
  readonly #address: ResolvedPipeAddress;
  readonly #raw: boolean;
  readonly #maxFrameSize: number;
  readonly #access: AccessPolicy;
  readonly #runtimeDir: string | undefined;
  readonly #maxClients: number;
  readonly #maxPendingSendBytes: number;
  readonly #stallTimeout: number;
  readonly #firstFrameTimeout: number;
  readonly #frameTimeout: number;
  readonly #inbound: InboundBudget;
  readonly #idleTimeout: number;
  readonly #maxClientsPerUser: number;
  /** Clients connected per user (see {@link userKey}). */
  readonly #perUser = new Map<string, number>();
  readonly #logger: Logger;
  readonly #clock: Clock;
  /** A fake backend a test injected (see backend/backend-seam.ts); else the platform's, loaded on start(). */
  readonly #injected: PipeBackend | undefined;
  readonly #peers = new Map<PeerId, ServerPeer>();
  readonly #closedLinks = new Set<Promise<void>>();
  #stats = emptyStats();
  #listener: PipeListener | undefined;
  #sequence = 0;
  #closing = false;

  constructor(options: PipeServerOptions) {
    super();
    requireObject(`new ${WHAT}()`, options, SERVER_OPTION_KEYS);
    this.#raw = optionalBoolean(WHAT, 'raw', options.raw, false);
    this.#maxFrameSize = optionalInteger(WHAT, 'maxFrameSize', options.maxFrameSize, DEFAULT_MAX_FRAME_SIZE, 1, MAX_FRAME_SIZE_LIMIT);
    this.#access = accessPolicy(WHAT, options.allow, options.allowOtherUsers);
    this.#runtimeDir = optionalDir(WHAT, 'runtimeDir', options.runtimeDir);
    this.#maxClients = optionalInteger(WHAT, 'maxClients', options.maxClients, 256, 1, 1_000_000);
    this.#maxPendingSendBytes = optionalInteger(WHAT, 'maxPendingSendBytes', options.maxPendingSendBytes, DEFAULT_MAX_PENDING_SEND_BYTES, 1, Number.MAX_SAFE_INTEGER);
    this.#stallTimeout = optionalInteger(WHAT, 'stallTimeout', options.stallTimeout, 30_000, 1, 2_147_483_647);
    this.#firstFrameTimeout = optionalInteger(WHAT, 'firstFrameTimeout', options.firstFrameTimeout, 10_000, 0, 2_147_483_647);
    this.#frameTimeout = optionalInteger(WHAT, 'frameTimeout', options.frameTimeout, 30_000, 0, 2_147_483_647);
    const maxInbound = optionalInteger(WHAT, 'maxInboundBufferBytes', options.maxInboundBufferBytes, defaultMaxInboundBufferBytes(this.#maxFrameSize), this.#maxFrameSize, Number.MAX_SAFE_INTEGER);
    this.#inbound = new InboundBudget(maxInbound, this.#maxFrameSize);
    this.#idleTimeout = optionalInteger(WHAT, 'idleTimeout', options.idleTimeout, 0, 0, 2_147_483_647);
    this.#maxClientsPerUser = optionalInteger(WHAT, 'maxClientsPerUser', options.maxClientsPerUser, this.#maxClients, 1, this.#maxClients);
    this.#logger = optionalLogger(WHAT, options.logger);
    this.#clock = optionalClock(WHAT, options.clock);
    this.#injected = injectedBackend(options);
    this.#address = resolvePipeAddress(options.address, this.#runtimeDir === undefined ? {} : { runtimeDir: this.#runtimeDir });
    this.path = this.#address.path;
    // server: its bus sends each event only to the clients that announced a matching pattern.
    this.capabilities = Object.freeze({ duplex: true, broadcast: false, reliable: true, ordered: true, maxFrameSize: this.#maxFrameSize, server: true });
  }

  /** A snapshot of this server's counters. */
  stats(): PipeStats {
    return { ...this.#stats, inboundBytesHeld: this.#inbound.held, inboundWaits: this.#inbound.waits, inboundWaiting: this.#inbound.waiting };
  }

  /** The peers connected right now. */
  get peers(): readonly PeerInfo[] {
    return [...this.#peers.values()].map((p) => p.info);
  }

  /** Disconnects one client (the bus calls this for a peer that sent garbage); counted in `peersDropped`. */
  override dropPeer(peer: PeerId, reason: string): void {
    const entry = this.#peers.get(peer);
    if (entry === undefined || entry.link.closed) return;
    entry.dropReason = reason;
    entry.link.destroy(`dropped: ${reason}`);
  }

  /** Reading from one client pauses until released (see `Transport.holdInbound`); a relaying bus's flow control. */
  protected override doHoldInbound(peer: PeerId): () => void {
    return this.#peers.get(peer)?.link.hold() ?? (() => undefined);
  }

  protected async doStart(): Promise<void> {
    const backend = this.#injected ?? (await loadBackend(this.#address.kind));
    const listener = backend.createListener(this.#address, {
      access: this.#access,
      maxClients: this.#maxClients,
      runtimeDir: this.#runtimeDir,
      logger: this.#logger,
    });
    this.#listener = listener;
    await listener.listen(
      (socket, identity) => this.#accept(socket, identity),
      (error) => {
        const busError = BusError.is(error) ? error : new BusError('OS_ERROR', `accepting a client on '${this.path}' failed: ${error.message}`, { cause: error });
        this.#logger.warn(busError.message, { path: this.path });
        this.emitError(busError);
      },
    );
    if (this.#closing) return;
    // Open before the first client can be accepted, so its 'connected' follows 'open'.
    this.setState('open');
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    if (to === undefined) return this.#broadcast(frame);
    const peer = this.#peers.get(to);
    if (peer === undefined) {
      return Promise.reject(new BusError('NOT_FOUND', `no peer '${to}' is connected to '${this.path}' (it left, or never was); answer peers by frame.peer.id`, { details: { peer: to } }));
    }
    return peer.link.send(frame);
  }

  /** To every peer; a send every link took at once (the common case) costs no promise of its own. */
  #broadcast(frame: Uint8Array): Promise<void> {
    let waiting: Array<Promise<void>> | undefined;
    for (const peer of this.#peers.values()) {
      const sent = peer.link.send(frame);
      if (sent !== FRAME_TAKEN) (waiting ??= []).push(sent);
    }
    return waiting === undefined ? FRAME_TAKEN : Promise.all(waiting).then(() => undefined);
  }

  protected async doClose(): Promise<void> {
    this.#closing = true;
    const listening = this.#listener?.close() ?? Promise.resolve();
    for (const peer of this.#peers.values()) peer.link.destroy('the server closed');
    await Promise.all([listening, ...this.#closedLinks]);
  }

  #accept(socket: net.Socket, identity: PeerIdentity): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    // POSIX checks each peer's uid here; on Windows the DACL (made from the same policy) already did.
    const why = this.#address.kind === 'unix-socket' ? refusal(this.#access, { uid: process.getuid?.() }, identity) : undefined;
    if (why !== undefined) {
      this.#refuse(socket, identity, Greeting.Denied, 'ACCESS_DENIED', `${why}; to let it in, start the server with { allow: 'any-user' }${identity.uid !== undefined ? ` or { allow: { uids: [${identity.uid}] } }` : ''}`);
      return;
    }
    if (this.#peers.size >= this.#maxClients) {
      this.#refuse(socket, identity, Greeting.Busy, 'BUSY', `maxClients (${this.#maxClients}) are already connected`);
      return;
    }
    const user = userKey(identity);
    const ofUser = this.#perUser.get(user) ?? 0;
    if (ofUser >= this.#maxClientsPerUser) {
      this.#refuse(socket, identity, Greeting.Busy, 'BUSY', `maxClientsPerUser (${this.#maxClientsPerUser}) of ${user} are already connected`);
      return;
    }
    this.#perUser.set(user, ofUser + 1);
    // Framed clients wait for this word before start() resolves (see link/handshake.ts).
    if (!this.#raw) socket.write(greetingWord(Greeting.Accepted));
    const id = `client-${++this.#sequence}`;
    const info: PeerInfo = { id, address: this.path, ...identity };
    const label = `peer ${id}${identity.pid !== undefined ? ` (pid ${identity.pid})` : ''}`;
    let closed!: () => void;
    const closedLink = new Promise<void>((resolve) => (closed = resolve));
    this.#closedLinks.add(closedLink);
    const link = new PipeLink(
      socket,
      {
        raw: this.#raw, maxFrameSize: this.#maxFrameSize, maxPendingSendBytes: this.#maxPendingSendBytes, pauseReadsWhenBlocked: true, stallTimeoutMs: this.#stallTimeout, label,
        deadlines: { firstFrameMs: this.#firstFrameTimeout, frameMs: this.#frameTimeout, idleMs: this.#idleTimeout }, inbound: this.#inbound, clock: this.#clock,
      },
      this.#stats,
      {
        onFrame: (data) => this.emitFrame({ data, peer: info }),
        onClose: (reason, fault) => {
          this.#peers.delete(id);
          const left = (this.#perUser.get(user) ?? 1) - 1;
          if (left > 0) this.#perUser.set(user, left);
          else this.#perUser.delete(user);
          this.#stats.peersConnected--;
          this.#closedLinks.delete(closedLink);
          closed();
          if (fault !== undefined || entry.dropReason !== undefined) this.#countDrop(info, reason, fault);
          this.emitPeer({ type: 'disconnected', peer: info, reason });
        },
      },
    );
    const entry: ServerPeer = { info, link };
    this.#peers.set(id, entry);
    this.#stats.peersAccepted++;
    this.#stats.peersConnected++;
    this.emitPeer({ type: 'connected', peer: info });
  }

  /** Tells a framed client why (so its start() rejects with `code`), then closes. */
  #refuse(socket: net.Socket, identity: PeerIdentity, status: Greeting, code: 'ACCESS_DENIED' | 'BUSY', why: string): void {
    this.#stats.peersRejected++;
    this.#logger.warn(`refused a client on '${this.path}': ${why}`, { path: this.path, ...identity });
    this.emitError(new BusError(code, `refused a client on '${this.path}': ${why}`, { details: { ...identity } }));
    if (this.#raw) socket.destroy();
    else refuseWith(socket, status, undefined, this.#clock);
  }

  #countDrop(peer: PeerInfo, reason: string, fault: LinkFault | undefined): void {
    this.#stats.peersDropped++;
    if (fault === 'flood') this.#stats.floodDrops++;
    this.#logger.warn(`dropped ${peer.id} from '${this.path}': ${reason}`, { peer: peer.id, pid: peer.pid, fault: fault ?? 'dropPeer' });
    if (fault !== undefined) {
      const code = fault === 'oversize' ? 'FRAME_TOO_LARGE' : fault === 'truncated' ? 'DECODE_FAILED' : fault === 'slow' ? 'TIMEOUT' : 'BUSY';
      this.emitError(new BusError(code, `dropped ${peer.id} from '${this.path}': ${reason}`, { details: { peer: peer.id, fault } }));
    }
  }
}

/** Whom `maxClientsPerUser` counts a client against: its uid (POSIX) or SID (Windows); one bucket for clients whose user the OS did not tell. */
function userKey(identity: PeerIdentity): string {
  if (identity.uid !== undefined) return `uid ${identity.uid}`;
  if (identity.sid !== undefined) return identity.sid.toUpperCase();
  return 'an unknown user';
}
