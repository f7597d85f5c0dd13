import type net from 'node:net';
import { BusError, type Clock, type Logger } from '@pipebus/core';
import { Transport, type PeerId, type PeerInfo, type TransportCapabilities } from '@pipebus/core/transport-kit';
import { accessPolicy, refusal, serverRefused, type AccessPolicy, type AllowPeers } from '../access/peer-access.js';
import { resolvePipeAddress, type ResolvedPipeAddress } from '../address/resolve-address.js';
import { awaitGreeting, CLIENT_HELLO } from '../link/handshake.js';
import { PipeLink } from '../link/pipe-link.js';
import { emptyStats, type PipeStats } from '../link/pipe-stats.js';
import {
  CLIENT_OPTION_KEYS, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PENDING_SEND_BYTES, MAX_FRAME_SIZE_LIMIT,
  optionalBoolean, optionalDir, optionalInteger, optionalLogger, requireObject,
} from '../options/validate.js';
import { holdOpen, optionalClock } from '@pipebus/os';
import { injectedBackend } from '../backend/backend-seam.js';
import { loadBackend } from '../backend/choose-backend.js';
import type { PeerIdentity, PipeBackend } from '../backend/pipe-backend.js';
import { backoffDelay, reconnectPolicy, type ReconnectOptions, type ReconnectPolicy } from './backoff.js';

/** Options of a {@link NamedPipeClient}. */
export interface PipeClientOptions {
  /** `pipe://name`, `\\.\pipe\name` or `/path/to.sock`, as the server was given. */
  address: string;
  /** No framing (for native servers); see `PipeServerOptions.raw`. Default false. */
  raw?: boolean;
  /** Largest frame, bytes, either way. Default 16 MiB. */
  maxFrameSize?: number;
  /** POSIX: the runtime directory the server uses, if not the default. */
  runtimeDir?: string;
  /** Where link losses and reconnects are logged. Default `consoleLogger`. */
  logger?: Logger;
  /**
   * `WaitNamedPipe` semantics: ms `start()` waits for the server to appear or a busy
   * instance to free up. Default 0: fail at once with NOT_FOUND (a busy pipe still gets
   * Windows' default 50 ms wait, since the server's next instance is normally moments away).
   */
  connectTimeout?: number;
  /** After an established link drops, reconnect with exponential backoff and jitter. Default true. */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Memory that may wait for the server to read before `send` fails with BUSY: each queued
   * send is charged its bytes + 772 (its real heap cost), plus the socket's unflushed bytes. Default 8 MiB.
   */
  maxPendingSendBytes?: number;
  /**
   * Which users the server may run as. Default `'same-user'`: a server of another user
   * (POSIX uid from SO_PEERCRED; Windows: the user SID of the server process) is refused
   * and `start()` rejects with ACCESS_DENIED. `'any-user'`, or `{ uids, sids }` for this
   * user plus those listed. Root / SYSTEM is not trusted unless listed.
   */
  allow?: AllowPeers;
  /**
   * ms to wait, once connected, for the server's greeting (framed mode): the word that says
   * it took this client, or that it is full (BUSY) or refuses this user (ACCESS_DENIED).
   * Default 10000; from 1.
   */
  handshakeTimeout?: number;
  /**
   * The time source of every wait: `connectTimeout` and its polling pauses, the
   * handshake timeout, reconnect backoff, and the link's timers. Default
   * `systemClock`; tests pass a virtual clock (`VirtualClock` from
   * `@pipebus/transport-mock`) to run them without waiting.
   */
  clock?: Clock;
}

/** The id of a client's one peer, its server. */
export const SERVER_PEER_ID = 'server';
/** Windows' NMPWAIT_USE_DEFAULT_WAIT default, applied to a busy pipe even when connectTimeout is 0. */
const BUSY_GRACE_MS = 50;
/** First and longest pause between connection attempts while waiting for a server. */
const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 200;
const WHAT = 'NamedPipeClient';

/**
 * The connecting side: one link to a {@link NamedPipeServer} (or a native
 * pipe server, in raw mode), re-established after a drop. While the link is
 * down, `state$` is `reconnecting` and the server peer is reported
 * 'disconnected' at once, so a bus fails the requests in flight immediately.
 *
 * @example
 * ```ts
 * const client = new NamedPipeClient({ address: 'pipe://orders', connectTimeout: 5000 });
 * const bus = new MessageBus(client);
 * await bus.start();
 * ```
 */
export class NamedPipeClient extends Transport {
  readonly capabilities: TransportCapabilities;
  /** The OS path connected to. */
  readonly path: string;
  readonly #address: ResolvedPipeAddress;
  readonly #raw: boolean;
  readonly #maxFrameSize: number;
  readonly #runtimeDir: string | undefined;
  readonly #logger: Logger;
  readonly #connectTimeout: number;
  readonly #reconnect: ReconnectPolicy | undefined;
  readonly #maxPendingSendBytes: number;
  readonly #access: AccessPolicy;
  readonly #handshakeTimeout: number;
  readonly #clock: Clock;
  /** A fake backend a test injected (see backend/backend-seam.ts); else the platform's, loaded on start(). */
  readonly #injected: PipeBackend | undefined;
  readonly #abort = new AbortController();
  #stats = emptyStats();
  #backend: PipeBackend | undefined;
  #link: PipeLink | undefined;
  #linkClosed: Promise<void> = Promise.resolve();
  #server: PeerInfo | undefined;

  constructor(options: PipeClientOptions) {
    super();
    requireObject(`new ${WHAT}()`, options, CLIENT_OPTION_KEYS);
    this.#raw = optionalBoolean(WHAT, 'raw', options.raw, false);
    this.#maxFrameSize = optionalInteger(WHAT, 'maxFrameSize', options.maxFrameSize, DEFAULT_MAX_FRAME_SIZE, 1, MAX_FRAME_SIZE_LIMIT);
    this.#runtimeDir = optionalDir(WHAT, 'runtimeDir', options.runtimeDir);
    this.#logger = optionalLogger(WHAT, options.logger);
    this.#connectTimeout = optionalInteger(WHAT, 'connectTimeout', options.connectTimeout, 0, 0, 2_147_483_647);
    this.#reconnect = reconnectPolicy(WHAT, options.reconnect);
    this.#maxPendingSendBytes = optionalInteger(WHAT, 'maxPendingSendBytes', options.maxPendingSendBytes, DEFAULT_MAX_PENDING_SEND_BYTES, 1, Number.MAX_SAFE_INTEGER);
    this.#access = accessPolicy(WHAT, options.allow);
    this.#handshakeTimeout = optionalInteger(WHAT, 'handshakeTimeout', options.handshakeTimeout, 10_000, 1, 2_147_483_647);
    this.#clock = optionalClock(WHAT, options.clock);
    this.#injected = injectedBackend(options);
    this.#address = resolvePipeAddress(options.address, this.#runtimeDir === undefined ? {} : { runtimeDir: this.#runtimeDir });
    this.path = this.#address.path;
    this.capabilities = Object.freeze({ duplex: true, broadcast: false, reliable: true, ordered: true, maxFrameSize: this.#maxFrameSize });
  }

  /** A snapshot of this client's counters. */
  stats(): PipeStats {
    return { ...this.#stats };
  }

  /** The server while the link is up: its pid (and uid/gid on POSIX) where the OS tells. */
  get server(): PeerInfo | undefined {
    return this.#server;
  }

  /** Cuts the link to the server (then reconnects, if enabled). */
  override dropPeer(peer: PeerId, reason: string): void {
    if (peer !== SERVER_PEER_ID || this.#link === undefined) return;
    this.#stats.peersDropped++;
    this.#link.destroy(`dropped: ${reason}`);
  }

  protected async doStart(): Promise<void> {
    this.#backend = this.#injected ?? (await loadBackend(this.#address.kind));
    const { socket, identity } = await this.#connectWithin(this.#connectTimeout);
    this.#attach(socket, identity);
  }

  /**
   * Reading from the server pauses until released (see
   * `Transport.holdInbound`). The hold is on the current link: a reconnect
   * reads freely.
   */
  protected override doHoldInbound(peer: PeerId): () => void {
    if (peer !== SERVER_PEER_ID || this.#link === undefined) return () => undefined;
    return this.#link.hold();
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    if (to !== undefined && to !== SERVER_PEER_ID) {
      return Promise.reject(new BusError('NOT_FOUND', `a pipe client has one peer, '${SERVER_PEER_ID}'; got '${to}' (or omit 'to')`, { details: { peer: to } }));
    }
    if (this.#link === undefined || this.#link.closed) {
      return Promise.reject(new BusError('TRANSPORT_CLOSED', `no link to '${this.path}' right now (state ${this.state}); retry once state$ is 'open', or pass { waitForReady: true } to the bus's request() to wait within its timeout`));
    }
    return this.#link.send(frame);
  }

  protected async doClose(): Promise<void> {
    this.#abort.abort();
    this.#link?.destroy('the client closed');
    await this.#linkClosed;
  }

  /** Connects, retrying NOT_FOUND and BUSY with growing pauses until `timeoutMs` has passed. */
  async #connectWithin(timeoutMs: number): Promise<{ socket: net.Socket; identity: PeerIdentity }> {
    const started = this.#clock.now();
    let pause = POLL_FIRST_MS;
    for (;;) {
      this.#throwIfClosed();
      try {
        const connected = await this.#backend!.connect(this.#address, this.#runtimeDir);
        if (this.#abort.signal.aborted) {
          connected.socket.destroy();
          this.#throwIfClosed();
        }
        this.#checkServer(connected);
        if (!this.#raw) {
          try {
            await awaitGreeting(connected.socket, this.path, this.#handshakeTimeout, this.#clock);
          } catch (error) {
            connected.socket.destroy();
            throw error;
          }
          if (this.#abort.signal.aborted) {
            connected.socket.destroy();
            this.#throwIfClosed();
          }
          connected.socket.write(CLIENT_HELLO);
        }
        return connected;
      } catch (error) {
        const retryable = BusError.is(error, 'NOT_FOUND') || BusError.is(error, 'BUSY');
        const bound = BusError.is(error, 'BUSY') ? Math.max(timeoutMs, BUSY_GRACE_MS) : timeoutMs;
        const left = started + bound - this.#clock.now();
        if (!retryable || left <= 0 || this.#abort.signal.aborted) {
          this.#throwIfClosed();
          throw bound > 0 && retryable ? waitedError(error as BusError, bound) : error;
        }
        this.#logger.debug(`waiting for '${this.path}': ${(error as BusError).code}`, { path: this.path, leftMs: left });
        await this.#sleep(Math.min(pause, left));
        pause = Math.min(pause * 2, POLL_MAX_MS);
      }
    }
  }

  /** Refuses (ACCESS_DENIED, not retried by start()) a server whose user `allow` does not admit. */
  #checkServer({ socket, identity }: { socket: net.Socket; identity: PeerIdentity }): void {
    const why = refusal(this.#access, this.#backend!.selfIdentity(), identity);
    if (why === undefined) return;
    socket.destroy();
    this.#logger.warn(`refused the server at '${this.path}': ${why}`, { path: this.path, ...identity });
    throw serverRefused(this.path, why, identity);
  }

  #attach(socket: net.Socket, identity: PeerIdentity): void {
    const server: PeerInfo = { id: SERVER_PEER_ID, address: this.path, ...identity };
    let closed!: () => void;
    this.#linkClosed = new Promise<void>((resolve) => (closed = resolve));
    this.#server = server;
    this.#link = new PipeLink(
      socket,
      { raw: this.#raw, maxFrameSize: this.#maxFrameSize, maxPendingSendBytes: this.#maxPendingSendBytes, pauseReadsWhenBlocked: false, clock: this.#clock, label: `the server at '${this.path}'` },
      this.#stats,
      {
        onFrame: (data) => this.emitFrame({ data, peer: server }),
        onClose: (reason, fault) => {
          this.#link = undefined;
          this.#server = undefined;
          this.#stats.peersConnected--;
          if (fault !== undefined) this.#logger.warn(`dropped the link to '${this.path}': ${reason}`, { path: this.path, fault });
          // First the peer event, so a bus fails in-flight requests before anything else happens.
          this.emitPeer({ type: 'disconnected', peer: server, reason });
          closed();
          this.#linkLost(reason);
        },
      },
    );
    this.#stats.peersAccepted++;
    this.#stats.peersConnected++;
    this.emitPeer({ type: 'connected', peer: server });
    // Reading the greeting paused it; what followed the greeting was put back and flows now.
    socket.resume();
  }

  #linkLost(reason: string): void {
    if (this.#abort.signal.aborted) return;
    if (this.#reconnect === undefined) {
      this.#logger.info(`link to '${this.path}' lost (${reason}); reconnect is off, closing`, { path: this.path });
      void this.close();
      return;
    }
    this.setState('reconnecting');
    void this.#reconnectLoop(this.#reconnect);
  }

  async #reconnectLoop(policy: ReconnectPolicy): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
      try {
        await this.#sleep(backoffDelay(policy, attempt));
        const { socket, identity } = await this.#connectWithin(0);
        this.#stats.reconnects++;
        this.#attach(socket, identity);
        this.setState('open');
        return;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        lastError = error;
        this.#logger.debug(`reconnect attempt ${attempt + 1} to '${this.path}' failed: ${(error as Error).message}`, { path: this.path });
      }
    }
    const message = `gave up reconnecting to '${this.path}' after ${policy.maxAttempts} attempts: ${(lastError as Error)?.message ?? 'unknown error'}`;
    this.#logger.warn(message, { path: this.path });
    this.emitError(BusError.is(lastError) ? new BusError(lastError.code, message, { cause: lastError }) : new BusError('TRANSPORT_CLOSED', message));
    void this.close();
  }

  /** Waits `ms` on the client's clock, or rejects with TRANSPORT_CLOSED as soon as `close()` is called. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(this.closedError('connect'));
        return;
      }
      const onAbort = (): void => {
        this.#clock.clearTimeout(timer);
        reject(this.closedError('connect'));
      };
      // Held open: between connect attempts and reconnects nothing else keeps the process alive.
      const timer = holdOpen(
        this.#clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms),
      );
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #throwIfClosed(): void {
    if (this.#abort.signal.aborted) throw this.closedError('connect');
  }
}

function waitedError(error: BusError, waitedMs: number): BusError {
  const what = error.code === 'BUSY' ? 'no pipe instance became free' : 'no server appeared';
  return new BusError(error.code, `${what} within ${waitedMs} ms: ${error.message}`, {
    cause: error, ...(error.osCode !== undefined && { osCode: error.osCode }), ...(error.osName !== undefined && { osName: error.osName }),
  });
}
