import { BusError, type PeerId, type PeerInfo, type TimerHandle } from '@pipebus/core';
import type { MockEndpoint, MockTransportPort } from '../transport/mock-transport.js';
import { serverPeerId } from './listener-endpoint.js';
import { peerInfo, type BoardClient, type ClientBoard } from './board-ports.js';

interface ListenerWait {
  readonly resolve: () => void;
  readonly reject: (error: BusError) => void;
  readonly timer: TimerHandle;
}

/** What a client is told at creation. */
export interface ClientSetup {
  readonly id: PeerId;
  readonly pid: number;
  readonly linkCapacity: number | undefined;
  readonly waitMs: number | undefined;
  readonly reconnect: boolean;
}

/** A named-pipe client: one connection to the listener at its address. */
export class ClientEndpoint implements MockEndpoint, BoardClient {
  readonly kind = 'client';
  readonly id: PeerId;
  readonly pid: number;
  readonly info: PeerInfo;
  readonly linkCapacity: number | undefined;
  readonly #setup: ClientSetup;
  #wait: ListenerWait | undefined;
  #reconnecting = false;
  #closing = false;

  constructor(
    readonly address: string,
    readonly port: MockTransportPort,
    private readonly board: ClientBoard,
    setup: ClientSetup,
  ) {
    this.#setup = setup;
    this.id = setup.id;
    this.pid = setup.pid;
    this.linkCapacity = setup.linkCapacity;
    this.info = peerInfo(setup.id, setup.pid, address);
  }

  /** True while the client waits for a listener: in `start()` or to reconnect. */
  get wantsLink(): boolean {
    return !this.#closing && (this.#wait !== undefined || this.#reconnecting);
  }

  async start(): Promise<void> {
    this.board.trackClient(this);
    if (this.board.reachable(this)) {
      this.board.connect(this);
      return;
    }
    const waitMs = this.#setup.waitMs;
    if (waitMs === undefined) {
      this.board.forgetClient(this);
      throw this.#notFound('nobody listens there; start the listener first, or connect with { waitMs } to wait for it');
    }
    await new Promise<void>((resolve, reject) => {
      const timer = this.board.clock.setTimeout(() => {
        this.#wait = undefined;
        this.board.forgetClient(this);
        reject(this.#notFound(`no listener appeared within ${waitMs} ms (virtual)`));
      }, waitMs);
      this.#wait = { resolve, reject, timer };
    });
  }

  /** Called by the switchboard once it connected this client after a wait. */
  linkRestored(): void {
    const wait = this.#wait;
    if (wait !== undefined) {
      this.#wait = undefined;
      this.board.clock.clearTimeout(wait.timer);
      wait.resolve();
      return;
    }
    this.#reconnecting = false;
    this.port.state('open');
  }

  /** Called by the switchboard after severing this client's connection. */
  async linkLost(): Promise<void> {
    if (this.#closing) return;
    if (this.#setup.reconnect) {
      this.#reconnecting = true;
      this.port.state('reconnecting');
      this.board.parkForReconnect();
      return;
    }
    // A pipe client without reconnect is done once its pipe breaks.
    await this.port.close();
  }

  send(frame: Uint8Array, to: PeerId | undefined): Promise<void> {
    if (to !== undefined && to !== serverPeerId(this.address)) {
      return Promise.reject(
        new BusError('NOT_FOUND', `a client has one peer, '${serverPeerId(this.address)}'; got '${to}' (or omit 'to')`, { details: { peer: to } }),
      );
    }
    const connection = this.board.connectionOf(this);
    if (connection === undefined) {
      return Promise.reject(
        new BusError('TRANSPORT_CLOSED', `'${this.id}' has no link to '${this.address}' right now (reconnecting or still waiting); retry once state$ is 'open'`),
      );
    }
    return connection.up.send(frame);
  }

  async close(): Promise<void> {
    this.#closing = true;
    const wait = this.#wait;
    if (wait !== undefined) {
      this.#wait = undefined;
      this.board.clock.clearTimeout(wait.timer);
      wait.reject(new BusError('TRANSPORT_CLOSED', `'${this.id}' was closed while waiting for a listener at '${this.address}'`));
    }
    this.board.forgetClient(this);
    const connection = this.board.connectionOf(this);
    if (connection !== undefined) await this.board.sever(connection, 'client closed');
  }

  /** A client's only peer is its server: dropping it breaks the link (then reconnect or close). */
  dropPeer(peer: PeerId, reason: string): void {
    const connection = this.board.connectionOf(this);
    if (peer === serverPeerId(this.address) && connection !== undefined) void this.board.sever(connection, reason);
  }

  peers(): readonly PeerInfo[] {
    const connection = this.board.connectionOf(this);
    return connection === undefined ? [] : [connection.listener.info];
  }

  #notFound(why: string): BusError {
    return new BusError('NOT_FOUND', `cannot connect '${this.id}' to '${this.address}': ${why}`, { details: { address: this.address } });
  }
}
