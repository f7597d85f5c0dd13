import { BusError, type PeerId, type PeerInfo } from '@pipebus/core';
import type { MockEndpoint, MockTransportPort } from '../transport/mock-transport.js';
import { ignoreClosed } from './listener-endpoint.js';
import { peerInfo, type BoardEndpoint, type GroupBoard } from './board-ports.js';

/** A mailslot-style member: every frame it sends reaches every other member of its group. */
export class MemberEndpoint implements MockEndpoint, BoardEndpoint {
  readonly kind = 'member';
  readonly info: PeerInfo;

  constructor(
    readonly address: string,
    readonly port: MockTransportPort,
    private readonly board: GroupBoard,
    readonly id: PeerId,
    readonly pid: number,
    readonly linkCapacity: number | undefined,
  ) {
    this.info = peerInfo(id, pid, address);
  }

  async start(): Promise<void> {
    this.board.joinGroup(this);
  }

  send(frame: Uint8Array, to: PeerId | undefined): Promise<void> {
    if (to !== undefined) {
      return Promise.reject(
        new BusError('NOT_SUPPORTED', `mailslot '${this.address}' is one-way broadcast: a frame cannot be addressed to '${to}'; omit 'to'`, {
          details: { peer: to, address: this.address },
        }),
      );
    }
    // With no other member the frame goes nowhere, as a datagram with no reader does.
    return Promise.all(this.board.linksFrom(this).map((link) => link.send(frame).catch(ignoreClosed))).then(() => undefined);
  }

  async close(): Promise<void> {
    this.board.leaveGroup(this);
  }

  /** Mailslots have no connections, so there is nothing to drop; the call is still recorded. */
  dropPeer(): void {}

  /** A mailslot never learns who else reads or writes it. */
  peers(): readonly PeerInfo[] {
    return [];
  }
}
