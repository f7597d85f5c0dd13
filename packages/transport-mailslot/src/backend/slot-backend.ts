/**
 * What the platform-free transport needs from an operating system. Two
 * implementations: `src/posix/` (AF_UNIX datagram sockets) and `src/win32/`
 * (kernel32 mailslots). Every failure is thrown as a BusError with osCode/osName.
 */
import type { Clock } from '@pipebus/core';

/**
 * Who sent a datagram, where the OS tells (never on Windows). `pid`, `uid`
 * and `gid` are present only when the kernel vouches for them (Linux
 * SCM_CREDENTIALS), never from what a sender claims.
 */
export interface SenderInfo {
  readonly id: string;
  readonly pid?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** One received message. */
export interface Datagram {
  readonly data: Uint8Array;
  readonly sender: SenderInfo | undefined;
}

/** The reading end of one slot. Its calls never block. */
export interface SlotReader {
  readonly path: string;
  /**
   * Reads up to `max` waiting messages without blocking and hands each to
   * `emit`; returns how many it read. Messages above the frame size are
   * dropped and reported to `oversize`.
   */
  drain(max: number, emit: (datagram: Datagram) => void, oversize: (size: number) => void): number;
  /** Releases the OS object (the socket file is unlinked). Only once no wait is in flight on it. */
  close(): void;
}

/** Outcome of one non-blocking write. */
export type WriteOutcome = 'sent' | 'full';

/** The writing side of one transport: writes to any slot by path. */
export interface SlotWriter {
  /**
   * Writes one message without blocking. `'full'` means the reader's queue
   * is full (EAGAIN): retry later. Throws BusError `NOT_FOUND` when nobody
   * reads `path`.
   */
  write(path: string, data: Uint8Array): WriteOutcome;
  /**
   * Present where a write can block (Windows: Wine 8 blocks WriteFile while
   * the reader's buffer is full): writes on the libuv pool instead, so the
   * event loop — and a reader in this same process — keeps running.
   * Throws (rejects) like {@link SlotWriter.write}.
   */
  writeBlocking?(path: string, data: Uint8Array): Promise<void>;
  /**
   * Present where the OS can tell when a full reader's queue has room again
   * (Linux: POLLOUT on a socket connected to the reader). Resolves, without
   * blocking the event loop, once one of `paths` last refused by
   * {@link SlotWriter.write} may take a message, or after `timeoutMs`, or when
   * the writer closes; the caller then writes again. Without it, callers
   * retry on timers.
   */
  waitWritable?(paths: readonly string[], timeoutMs: number): Promise<void>;
  /** Forgets a cached handle to `path` (its reader went away, or left the group). */
  forget(path: string): void;
  /** Releases every handle; a returned promise settles once all are closed. */
  close(): void | Promise<void>;
}

/** What a wait consumed: a message, or the size of one above frameSize that was dropped. */
export type WaitResult = { reader: SlotReader; datagram: Datagram } | { reader: SlotReader; oversize: number };

/** The operating-system side of the mailslot transport. */
export interface SlotBackend {
  readonly platform: 'posix' | 'win32';
  /**
   * Creates and owns slot `path`. Throws `ADDRESS_IN_USE` when another reader holds it.
   * Other users may write to it only with `allowOtherUsers` (POSIX: socket mode 0666
   * instead of 0600; Windows: the slot's DACL).
   */
  createReader(path: string, frameSize: number, readTimeoutMs: number, allowOtherUsers: boolean): SlotReader;
  /**
   * A writer for messages of at most `frameSize` bytes. Ages it keeps (the
   * Windows handle cache) are measured on `clock`, the transport's.
   */
  createWriter(frameSize: number, clock?: Clock): SlotWriter;
  /**
   * Waits, on one libuv pool thread, until any of `readers` may have a
   * message, `wake()` is called, or `timeoutMs` passes. Messages the wait
   * itself consumed (Windows reads while it waits) are returned.
   */
  wait(readers: readonly SlotReader[], timeoutMs: number): Promise<WaitResult[]>;
  /** Cuts a pending wait short, where the platform can (POSIX); a no-op elsewhere. */
  wake(): void;
  /** True when a listener process is gone: POSIX `kill(pid, 0)` gives ESRCH. */
  isProcessAlive(pid: number): boolean;
}
