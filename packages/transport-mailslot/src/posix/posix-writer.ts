import { randomBytes } from 'node:crypto';
import { BusError } from '@pipebus/core';
import type { SlotWriter, WriteOutcome } from '../backend/slot-backend.js';
import { E, type Libc } from './libc.js';
import { posixError } from '../advice/os-advice.js';
import { datagramSocket } from './datagram-socket.js';
import { sockaddrUn, writerName } from './socket-address.js';
import type { WritableWaiter } from './writable-waiter.js';

/** Asked of the kernel per socket; it doubles the value and caps it at net.core.wmem_max. */
const MIN_SNDBUF = 1024 * 1024;
/**
 * Pause before writing again to a socket refused with ENOBUFS: the kernel is
 * short of memory, which POLLOUT does not track (it may well be set), so a
 * poll would return at once and the retries would spin.
 */
export const NOBUFS_PAUSE_MS = 5;

/**
 * Writes through one socket per reader, connected to it. A connected socket
 * lets the kernel tell when that one reader's queue has room again (POLLOUT,
 * see {@link WritableWaiter}); each socket also gets a send buffer of its own,
 * so one slow reader cannot use up the buffer the others are written through.
 *
 * A cached socket whose reader went away reports ECONNREFUSED once: the
 * writer then connects afresh, which either reaches a new reader of the same
 * path or fails with ENOENT / ECONNREFUSED — `NOT_FOUND`, as a write to a
 * slot nobody reads always has.
 */
export class PosixWriter implements SlotWriter {
  readonly #sockets = new Map<string, number>();
  /** Every socket's name shares it, so readers see one sender (one peer id) whichever socket it wrote through. */
  readonly #name = randomBytes(4).toString('hex');
  #serial = 0;
  #closed = false;
  readonly #sndbuf = Buffer.alloc(4);
  /** Paths whose last write was refused with ENOBUFS rather than EAGAIN (see {@link NOBUFS_PAUSE_MS}). */
  readonly #noBuffers = new Set<string>();
  /** Present where POLLOUT reflects the reader's queue (Linux); see {@link SlotWriter.waitWritable}. */
  readonly waitWritable?: (paths: readonly string[], timeoutMs: number) => Promise<void>;

  /**
   * @param waiter - the process's writable waiter, where the platform's POLLOUT
   *   tracks the reader's queue; without one, callers retry on timers.
   */
  constructor(
    private readonly lib: Libc,
    frameSize: number,
    private readonly waiter: WritableWaiter | undefined,
  ) {
    this.#sndbuf.writeInt32LE(Math.max(MIN_SNDBUF, frameSize * 4), 0);
    if (waiter !== undefined) this.waitWritable = (paths, timeoutMs) => this.#waitWritable(waiter, paths, timeoutMs);
  }

  write(path: string, data: Uint8Array): WriteOutcome {
    for (;;) {
      const { fd, fresh } = this.#connected(path);
      const n = this.lib.send(fd, data, data.byteLength, this.lib.c.MSG_DONTWAIT);
      if (n >= 0) {
        if (this.#noBuffers.size !== 0) this.#noBuffers.delete(path);
        return 'sent';
      }
      const errno = this.lib.errno();
      if (errno === E.EINTR) continue;
      // EAGAIN: the reader's queue (net.unix.max_dgram_qlen) or this socket's send buffer is full.
      if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) {
        if (this.#noBuffers.size !== 0) this.#noBuffers.delete(path);
        return 'full';
      }
      if (errno === E.ENOBUFS) {
        this.#noBuffers.add(path);
        return 'full';
      }
      // The reader this socket was connected to is gone (ENOTCONN: the kernel already disconnected it).
      if ((errno === E.ECONNREFUSED || errno === E.ENOTCONN) && !fresh) {
        this.forget(path);
        continue;
      }
      throw posixError('send', errno, path);
    }
  }

  forget(path: string): void {
    this.#noBuffers.delete(path);
    const fd = this.#sockets.get(path);
    if (fd === undefined) return;
    this.#sockets.delete(path);
    void this.#release(fd);
  }

  /** Closes every socket; resolves once all are closed (a poll() in flight may hold some for a moment). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#noBuffers.clear();
    const fds = [...this.#sockets.values()];
    this.#sockets.clear();
    this.waiter?.cancel(new Set(fds));
    await Promise.all(fds.map((fd) => this.#release(fd)));
  }

  #waitWritable(waiter: WritableWaiter, paths: readonly string[], timeoutMs: number): Promise<void> {
    if (this.#noBuffers.size !== 0 && paths.some((path) => this.#noBuffers.has(path))) {
      // Real time, not the transport's clock: it waits for the kernel to free buffer memory, which a
      // virtual clock would never bring; the send's deadline around it is on the clock (send-retry.ts).
      return new Promise((resolve) => setTimeout(resolve, Math.min(NOBUFS_PAUSE_MS, timeoutMs)));
    }
    const fds: number[] = [];
    for (const path of paths) {
      const fd = this.#sockets.get(path);
      // No socket (forgotten, or closed): nothing to wait for; the next write connects or finds the reader gone.
      if (fd === undefined) return Promise.resolve();
      fds.push(fd);
    }
    return waiter.wait(fds, timeoutMs);
  }

  #connected(path: string): { fd: number; fresh: boolean } {
    const cached = this.#sockets.get(path);
    if (cached !== undefined) return { fd: cached, fresh: false };
    if (this.#closed) throw new BusError('TRANSPORT_CLOSED', `cannot write to '${path}': this mailslot writer is closed`);
    const { lib } = this;
    const fd = datagramSocket(lib, path);
    lib.setsockopt(fd, lib.c.SOL_SOCKET, lib.c.SO_SNDBUF, this.#sndbuf, 4);
    if (lib.c.abstractNames) {
      // A name in the abstract namespace tells readers who wrote (pid included); it vanishes with the socket.
      const name = sockaddrUn(writerName(process.pid, this.#name, this.#serial++), lib.c);
      lib.bind(fd, name.addr, name.len);
    }
    const to = sockaddrUn(path, lib.c);
    if (lib.connect(fd, to.addr, to.len) !== 0) {
      const errno = lib.errno();
      lib.close(fd);
      throw posixError('connect', errno, path);
    }
    this.#sockets.set(path, fd);
    return { fd, fresh: true };
  }

  #release(fd: number): Promise<void> {
    if (this.waiter !== undefined) return this.waiter.close(fd);
    this.lib.close(fd);
    return Promise.resolve();
  }
}
