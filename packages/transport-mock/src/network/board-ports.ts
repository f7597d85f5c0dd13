import type { PeerId, PeerInfo } from '@pipebus/core';
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { MockTransportPort } from '../transport/mock-transport.js';
import type { Link } from './link.js';

// The small interfaces between the switchboard and the endpoints. Each side
// sees only what it calls, and neither file imports the other: the switchboard
// owns who is connected to whom, and the endpoints ask it.

/** What the switchboard needs of any endpoint: who it is and how to reach its transport. */
export interface BoardEndpoint {
  readonly id: PeerId;
  readonly address: string;
  readonly info: PeerInfo;
  readonly port: MockTransportPort;
  readonly linkCapacity: number | undefined;
}

/** What the switchboard needs of a named-pipe client: an endpoint that can wait for a link. */
export interface BoardClient extends BoardEndpoint {
  /** True while the client waits for a listener: in `start()` or to reconnect. */
  readonly wantsLink: boolean;
  /** Told once the switchboard connected it after a wait. */
  linkRestored(): void;
  /** Told after the switchboard severed its connection; settles once it closed or parked. */
  linkLost(): Promise<void>;
}

/** A live listener–client connection: one link each way. */
export interface Connection {
  readonly listener: BoardEndpoint;
  readonly client: BoardClient;
  /** client → listener */
  readonly up: Link;
  /** listener → client */
  readonly down: Link;
}

/** The switchboard as a listener sees it. */
export interface ListenerBoard {
  openListener(listener: BoardEndpoint): void;
  closeListener(listener: BoardEndpoint): Promise<void>;
  /** The listener's live connections, by client peer id. */
  connectionsOf(listener: BoardEndpoint): ReadonlyMap<PeerId, Connection>;
  sever(connection: Connection, reason: string): Promise<void>;
  wake(): void;
}

/** The switchboard as a client sees it. */
export interface ClientBoard {
  readonly clock: VirtualClock;
  trackClient(client: BoardClient): void;
  forgetClient(client: BoardClient): void;
  reachable(client: BoardClient): boolean;
  connect(client: BoardClient): void;
  /** The client's live connection, if any. */
  connectionOf(client: BoardClient): Connection | undefined;
  sever(connection: Connection, reason: string): Promise<void>;
  parkForReconnect(): void;
}

/** The switchboard as a mailslot member sees it. */
export interface GroupBoard {
  joinGroup(member: BoardEndpoint): void;
  leaveGroup(member: BoardEndpoint): void;
  /** Links to the other members of `member`'s group. */
  linksFrom(member: BoardEndpoint): Link[];
}

/** Peer info for an endpoint: who a frame came from. */
export function peerInfo(id: string, pid: number, address: string): PeerInfo {
  return Object.freeze({ id, pid, address });
}
