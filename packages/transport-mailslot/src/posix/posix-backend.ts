import { randomBytes } from 'node:crypto';
import { isProcessAlive } from '../registry/process-alive.js';
import { unlinkSync } from 'node:fs';
import type { Datagram, SlotBackend, SlotReader, SlotWriter, WaitResult, WriteOutcome } from '../backend/slot-backend.js';
import { E, libc, type Libc } from './libc.js';
import { posixError } from './posix-errors.js';
import { SOCKADDR_UN_SIZE, senderFromAddress, sockaddrUn, writerName } from './socket-address.js';

/** Asked of the kernel for a writer; it doubles the value and caps it at net.core.wmem_max. */
const MIN_SNDBUF = 1024 * 1024;

class PosixReader implements SlotReader {
  readonly #buf: Buffer;
  readonly #addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  readonly #addrLen = Buffer.alloc(4);
  #closed = false;

  constructor(
    private readonly lib: Libc,
    readonly fd: number,
    readonly path: string,
    private readonly frameSize: number,
  ) {
    this.#buf = Buffer.allocUnsafe(frameSize);
  }

  drain(max: number, emit: (d: Datagram) => void, oversize: (size: number) => void): number {
    const { c } = this.lib;
    let read = 0;
    while (read < max && !this.#closed) {
      this.#addrLen.writeUInt32LE(SOCKADDR_UN_SIZE, 0);
      // MSG_TRUNC: the result is the datagram's real size, so an oversized one is noticed, not cut.
      const n = this.lib.recvfrom(this.fd, this.#buf, this.frameSize, c.MSG_DONTWAIT | c.MSG_TRUNC, this.#addr, this.#addrLen);
      if (n < 0) {
        const errno = this.lib.errno();
        if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) break;
        if (errno === E.EINTR) continue;
        throw posixError('recvfrom', errno, this.path);
      }
      read++;
      if (n > this.frameSize) {
        oversize(n);
        continue;
      }
      const sender = senderFromAddress(this.#addr, this.#addrLen.readUInt32LE(0));
      emit({ data: new Uint8Array(this.#buf.subarray(0, n)), sender });
    }
    return read;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.lib.close(this.fd);
    try {
      unlinkSync(this.path);
    } catch {
      // Already swept by a writer that found this process gone: nothing to undo.
    }
  }
}

class PosixWriter implements SlotWriter {
  readonly #addresses = new Map<string, { addr: Buffer; len: number }>();
  constructor(
    private readonly lib: Libc,
    private readonly fd: number,
  ) {}

  write(path: string, data: Uint8Array): WriteOutcome {
    let to = this.#addresses.get(path);
    if (to === undefined) {
      to = sockaddrUn(path, this.lib.c);
      this.#addresses.set(path, to);
    }
    for (;;) {
      const n = this.lib.sendto(this.fd, data, data.byteLength, this.lib.c.MSG_DONTWAIT, to.addr, to.len);
      if (n >= 0) return 'sent';
      const errno = this.lib.errno();
      if (errno === E.EINTR) continue;
      // EAGAIN: the reader's queue (net.unix.max_dgram_qlen) or our send buffer is full.
      if (errno === E.EAGAIN || errno === E.EWOULDBLOCK || errno === E.ENOBUFS) return 'full';
      throw posixError('sendto', errno, path);
    }
  }

  forget(path: string): void {
    this.#addresses.delete(path);
  }

  close(): void {
    this.lib.close(this.fd);
  }
}

/**
 * AF_UNIX datagram sockets through libc. The reader loop's one blocking call
 * is `poll()` over every reading socket of the process plus a wake-up socket
 * pair, on a single libuv pool thread; reads and writes never block.
 */
export class PosixBackend implements SlotBackend {
  readonly platform = 'posix';
  readonly #lib = libc();
  #wakeFds: [number, number] | undefined;
  readonly #scratch = Buffer.alloc(64);

  createReader(path: string, frameSize: number): SlotReader {
    const lib = this.#lib;
    const fd = this.#socket(path);
    const { addr, len } = sockaddrUn(path, lib.c);
    if (lib.bind(fd, addr, len) !== 0) {
      const errno = lib.errno();
      if (errno !== E.EADDRINUSE || this.#isBound(path)) {
        lib.close(fd);
        throw posixError('bind', errno, path, errno === E.EADDRINUSE ? 'another process already reads this slot (one reader per name); close it or choose another name' : undefined);
      }
      // A socket file nobody is bound to is what a killed reader leaves: take its place.
      try {
        unlinkSync(path);
      } catch {
        /* raced with another sweeper: bind decides */
      }
      if (lib.bind(fd, addr, len) !== 0) {
        const again = lib.errno();
        lib.close(fd);
        throw posixError('bind', again, path);
      }
    }
    return new PosixReader(lib, fd, path, frameSize);
  }

  createWriter(frameSize: number): SlotWriter {
    const lib = this.#lib;
    const fd = this.#socket('a writer socket');
    const size = Buffer.alloc(4);
    size.writeInt32LE(Math.max(MIN_SNDBUF, frameSize * 4), 0);
    lib.setsockopt(fd, lib.c.SOL_SOCKET, lib.c.SO_SNDBUF, size, 4);
    if (lib.c.abstractNames) {
      // A name in the abstract namespace tells readers who wrote (pid included); it vanishes with the socket.
      const { addr, len } = sockaddrUn(writerName(process.pid, randomBytes(4).toString('hex')), lib.c);
      lib.bind(fd, addr, len);
    }
    return new PosixWriter(lib, fd);
  }

  wait(readers: readonly SlotReader[], timeoutMs: number): Promise<WaitResult[]> {
    const lib = this.#lib;
    const wake = this.#wake();
    const fds = [wake[0], ...readers.map((r) => (r as PosixReader).fd)];
    const pollfds = Buffer.alloc(8 * fds.length);
    fds.forEach((fd, i) => {
      pollfds.writeInt32LE(fd, i * 8);
      pollfds.writeInt16LE(lib.c.POLLIN, i * 8 + 4);
    });
    return new Promise((resolve) => {
      lib.poll.async(pollfds, fds.length, timeoutMs, () => {
        // Empty the wake-up socket; readers find out themselves what is waiting.
        while (lib.recvfrom(wake[0], this.#scratch, this.#scratch.length, lib.c.MSG_DONTWAIT, null, null) > 0);
        resolve([]);
      });
    });
  }

  wake(): void {
    if (this.#wakeFds === undefined) return;
    this.#lib.sendto(this.#wakeFds[1], Uint8Array.of(1), 1, this.#lib.c.MSG_DONTWAIT, null, 0);
  }

  isProcessAlive(pid: number): boolean {
    return isProcessAlive(pid);
  }

  #wake(): [number, number] {
    if (this.#wakeFds !== undefined) return this.#wakeFds;
    const sv = Buffer.alloc(8);
    if (this.#lib.socketpair(this.#lib.c.AF_UNIX, this.#lib.c.SOCK_DGRAM, 0, sv) !== 0) {
      throw posixError('socketpair', this.#lib.errno(), 'the reader wake-up pair');
    }
    this.#wakeFds = [sv.readInt32LE(0), sv.readInt32LE(4)];
    return this.#wakeFds;
  }

  #socket(target: string): number {
    const fd = this.#lib.socket(this.#lib.c.AF_UNIX, this.#lib.c.SOCK_DGRAM, 0);
    if (fd < 0) throw posixError('socket', this.#lib.errno(), target);
    return fd;
  }

  /** connect() succeeds only if a socket is bound at `path`; a stale file gives ECONNREFUSED. */
  #isBound(path: string): boolean {
    const probe = this.#socket(path);
    const { addr, len } = sockaddrUn(path, this.#lib.c);
    const ok = this.#lib.connect(probe, addr, len) === 0;
    const errno = ok ? 0 : this.#lib.errno();
    this.#lib.close(probe);
    return ok || errno !== E.ECONNREFUSED;
  }
}
