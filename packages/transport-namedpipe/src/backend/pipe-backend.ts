/**
 * What the platform-free server and client need from an operating system: a
 * listener and a one-shot connect. Two implementations, `src/posix/` (Unix
 * sockets) and `src/win32/` (named pipes); `choose-backend.ts` loads one.
 * Types only, so the backends can import it without importing each other.
 */
import type net from 'node:net';
import type { Logger } from '@pipebus/core';
import type { AccessPolicy, UserIdentity } from '../access/peer-access.js';
import type { ResolvedPipeAddress } from '../address/resolve-address.js';

/** Who is on the other end of a connection, as far as the OS tells. */
export interface PeerIdentity {
  readonly pid?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Windows: the user SID of the process at the other end (`S-1-5-21-…`). */
  readonly sid?: string;
}

/** What a listener needs to know beyond the path. */
export interface ListenerSettings {
  /** Who may connect: on Windows it makes the DACL; on POSIX a widened policy makes the socket file 0666. */
  readonly access: AccessPolicy;
  readonly maxClients: number;
  readonly runtimeDir: string | undefined;
  readonly logger: Logger;
}

/** Accepts connections at one path; the platform part of a server. */
export interface PipeListener {
  /**
   * Starts accepting. Resolves once clients can connect; rejects with a
   * `BusError` (`ADDRESS_IN_USE`, `ACCESS_DENIED`, `OS_ERROR`...).
   * `onAccept` gets each connected socket with its identity; `onError`
   * non-fatal problems (a failed accept).
   */
  listen(onAccept: (socket: net.Socket, identity: PeerIdentity) => void, onError: (error: Error) => void): Promise<void>;
  /** Stops accepting and frees the path; sockets already handed out stay open. */
  close(): Promise<void>;
}

/** The platform half of the transport, chosen once per address kind. */
export interface PipeBackend {
  createListener(address: ResolvedPipeAddress, settings: ListenerSettings): PipeListener;
  /**
   * One connection attempt that never waits for the server: rejects at once
   * with `NOT_FOUND` (no server), `BUSY` (no free instance) or `ACCESS_DENIED`.
   */
  connect(address: ResolvedPipeAddress, runtimeDir: string | undefined): Promise<{ socket: net.Socket; identity: PeerIdentity }>;
  /** Who this process runs as, in the terms `connect` reports the server's identity. */
  selfIdentity(): UserIdentity;
}
