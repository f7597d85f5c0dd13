import { BusError, type PeerId, type PeerInfo } from '@pipebus/core';
import type { MockEndpoint, MockTransportPort } from '../transport/mock-transport.js';
import { peerInfo, type BoardEndpoint, type ListenerBoard } from './board-ports.js';

/** The peer id a client sees for the listener at `address`. */
export function serverPeerId(address: string): PeerId {
  return `server:${address}`;
}

/** Swallows the error of a peer that left mid-broadcast: the others still get the frame. */
export function ignoreClosed(error: unknown): void {
  if (!BusError.is(error, 'TRANSPORT_CLOSED')) throw error;
}

/** A named-pipe server: many clients, one connection each. */
export class ListenerEndpoint implements MockEndpoint, BoardEndpoint {
  readonly kind = 'listener';
  readonly id: PeerId;
  readonly info: PeerInfo;

  constructor(
    readonly address: string,
    readonly port: MockTransportPort,
    private readonly board: ListenerBoard,
    readonly pid: number,
    readonly linkCapacity: number | undefined,
  ) {
    this.id = address;
    this.info = peerInfo(serverPeerId(address), pid, address);
  }

  async start(): Promise<void> {
    this.board.openListener(this);
    // Open before any client arrives, so the listener never sees a peer
    // while it still says `connecting`.
    this.port.state('open');
    this.board.wake();
  }

  send(frame: Uint8Array, to: PeerId | undefined): Promise<void> {
    if (to === undefined) {
      return Promise.all([...this.board.connectionsOf(this).values()].map((c) => c.down.send(frame).catch(ignoreClosed))).then(() => undefined);
    }
    const connection = this.board.connectionsOf(this).get(to);
    if (connection === undefined) {
      return Promise.reject(
        new BusError('NOT_FOUND', `no client '${to}' is connected to '${this.address}'; it may have disconnected (watch peers$)`, {
          details: { peer: to, address: this.address },
        }),
      );
    }
    return connection.down.send(frame);
  }

  close(): Promise<void> {
    return this.board.closeListener(this);
  }

  dropPeer(peer: PeerId, reason: string): void {
    const connection = this.board.connectionsOf(this).get(peer);
    if (connection !== undefined) void this.board.sever(connection, reason);
  }

  peers(): readonly PeerInfo[] {
    return [...this.board.connectionsOf(this).values()].map((c) => c.client.info);
  }
}
