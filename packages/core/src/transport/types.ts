/**
 * The types of the transport contract: peers, frames, capabilities,
 * events. The `Transport` base class that uses them is in `transport.ts`.
 */
import type { BusError } from '../errors/index.js';

/** Identifies one peer of a transport (a pipe client, the server, a slot writer). */
export type PeerId = string;

/** What a transport knows about the process on the other side of a frame. */
export interface PeerInfo {
  /** Transport-unique id; pass it to {@link Transport.send} to answer this peer. */
  readonly id: PeerId;
  /** Process id of the peer, where the OS tells it. */
  readonly pid?: number;
  /** POSIX user id of the peer (`SO_PEERCRED` / `getpeereid`). */
  readonly uid?: number;
  /** POSIX group id of the peer. */
  readonly gid?: number;
  /** Windows: the user SID of the peer's process (`S-1-5-21-…`), where the transport reads it (a named-pipe client, of its server). */
  readonly sid?: string;
  /** The address the peer is reached at, for logs. */
  readonly address?: string;
}

/** One frame received from a peer. The bytes belong to the receiver. */
export interface InboundFrame {
  readonly data: Uint8Array;
  readonly peer: PeerInfo;
  /**
   * Routed transports: the `id` of the topic {@link Interest} this frame
   * was delivered through, so that a bus whose subscriptions overlap (NATS
   * sends one copy per matching subscription) delivers each copy once.
   */
  readonly via?: number;
}

/**
 * Lifecycle of a transport: `idle` before `start()`, `connecting` while the
 * first link is made, `open` when frames flow, `reconnecting` after a lost
 * link (client transports), `closed` for good.
 */
export type TransportState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a transport can do; the bus adapts to it (fragmenting, refusing requests). */
export interface TransportCapabilities {
  /** Can answer the peer that spoke (named pipe: yes; mailslot: no). */
  readonly duplex: boolean;
  /** One send without a destination reaches every listener. */
  readonly broadcast: boolean;
  /** Largest frame, in bytes, one `send` accepts; the bus fragments above it. */
  readonly maxFrameSize: number;
  /** Frames are never dropped while the link is up. */
  readonly reliable: boolean;
  /** Frames from one sender arrive in the order sent. */
  readonly ordered: boolean;
  /**
   * Delivers by name (NATS subjects): the bus then sends through
   * {@link Transport.sendRouted}, with each frame's {@link Route}, and
   * declares its handlers and subscriptions through {@link Transport.interest}.
   * Absent means false.
   */
  readonly routed?: boolean;
  /**
   * The accepting end of many duplex links (a named-pipe server,
   * `MockNetwork.listen`): a send without `to` reaches every connected
   * client. Its bus then sends each event only to the clients whose
   * announced patterns match (clients of a bus on a transport without it
   * announce theirs), and to every client that announced nothing (an older
   * pipebus). Absent means false: every event goes to every peer.
   */
  readonly server?: boolean;
}

/** A peer appeared or went away. */
export interface PeerEvent {
  readonly type: 'connected' | 'disconnected';
  readonly peer: PeerInfo;
  /** Why a peer went away, for logs. */
  readonly reason?: string;
}

/** Lifecycle events for code that prefers listeners to observables. */
export interface TransportEvents {
  state: (state: TransportState) => void;
  frame: (frame: InboundFrame) => void;
  peer: (event: PeerEvent) => void;
  /** A non-fatal problem (a peer's bad frame, a failed reconnect attempt). */
  error: (error: BusError) => void;
}

/**
 * Receives each inbound frame, synchronously, in the transport's receive
 * path (see {@link Transport.onFrame}).
 */
export type FrameListener = (frame: InboundFrame) => void;
