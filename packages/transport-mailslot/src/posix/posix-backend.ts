import { isProcessAlive } from '../registry/process-alive.js';
import { chmodSync, lstatSync, unlinkSync, type Stats } from 'node:fs';
import { BusError } from '@pipebus/core';
import type { Datagram, SenderInfo, SlotBackend, SlotReader, SlotWriter, WaitResult } from '../backend/slot-backend.js';
import { CredentialReceiver, credentialsSupported } from './credentials.js';
import { E, libc, type Libc } from './libc.js';
import { posixError } from '../advice/os-advice.js';
import { datagramSocket } from './datagram-socket.js';
import { PosixWriter } from './posix-writer.js';
import { SOCKADDR_UN_SIZE, senderFromAddress, sockaddrUn } from './socket-address.js';
import { WakePair } from './wake-pair.js';
import { WritableWaiter } from './writable-waiter.js';

class PosixReader implements SlotReader {
  readonly #buf: Buffer;
  readonly #addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  readonly #addrLen = Buffer.alloc(4);
  /** Where the kernel gives per-datagram credentials (Linux), every read goes through recvmsg to get them. */
  readonly #creds: CredentialReceiver | undefined;
  #last: { addr: Buffer; len: number; sender: SenderInfo | undefined } | undefined;
  #closed = false;

  constructor(
    private readonly lib: Libc,
    readonly fd: number,
    readonly path: string,
    private readonly frameSize: number,
    /** The socket file bind() made (dev/ino): close() removes that file and nothing else. */
    private readonly bound: Stats | undefined,
  ) {
    this.#buf = Buffer.allocUnsafe(frameSize);
    if (credentialsSupported(lib)) this.#creds = new CredentialReceiver(lib, fd, this.#buf, this.#addr, path);
  }

  drain(max: number, emit: (d: Datagram) => void, oversize: (size: number) => void): number {
    const { c } = this.lib;
    let read = 0;
    while (read < max && !this.#closed) {
      const creds = this.#creds;
      // MSG_TRUNC: the result is the datagram's real size, so an oversized one is noticed, not cut.
      const flags = c.MSG_DONTWAIT | c.MSG_TRUNC;
      let n: number;
      if (creds !== undefined) {
        n = creds.receive(flags);
      } else {
        this.#addrLen.writeUInt32LE(SOCKADDR_UN_SIZE, 0);
        n = this.lib.recvfrom(this.fd, this.#buf, this.frameSize, flags, this.#addr, this.#addrLen);
      }
      if (n < 0) {
        const errno = this.lib.errno();
        if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) break;
        if (errno === E.EINTR) continue;
        throw posixError(creds !== undefined ? 'recvmsg' : 'recvfrom', errno, this.path);
      }
      read++;
      if (n > this.frameSize) {
        oversize(n);
        continue;
      }
      const sender = creds !== undefined ? this.#sender(creds) : senderFromAddress(this.#addr, this.#addrLen.readUInt32LE(0));
      emit({ data: new Uint8Array(this.#buf.subarray(0, n)), sender });
    }
    return read;
  }

  /**
   * The sender of the datagram just read. A writer sends many in a row: when
   * address and credentials are the last datagram's, its SenderInfo is reused
   * rather than parsed again.
   */
  #sender(creds: CredentialReceiver): SenderInfo | undefined {
    const len = creds.addressLength();
    const who = creds.credentials();
    const last = this.#last;
    if (
      last !== undefined && len === last.len && who?.pid === last.sender?.pid && who?.uid === last.sender?.uid && who?.gid === last.sender?.gid &&
      this.#addr.compare(last.addr, 0, len, 0, len) === 0
    ) {
      return last.sender;
    }
    const sender = senderFromAddress(this.#addr, len, who);
    this.#last = { addr: Buffer.from(this.#addr.subarray(0, len)), len, sender };
    return sender;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.lib.close(this.fd);
    // Only the socket this reader bound: whatever replaced it at that path (another reader's
    // socket, a file, or a directory swapped under it) is not ours to delete.
    const now = lstatSync(this.path, { throwIfNoEntry: false });
    if (now === undefined || this.bound === undefined || !now.isSocket() || now.dev !== this.bound.dev || now.ino !== this.bound.ino) return;
    try {
      unlinkSync(this.path);
    } catch {
      // Already swept by a writer that found this process gone: nothing to undo.
    }
  }
}

/**
 * AF_UNIX datagram sockets through libc. The reader loop's one blocking call
 * is `poll()` over every reading socket of the process plus a wake-up socket
 * pair, on a single libuv pool thread; reads and writes never block. Writers
 * that meet a full reader wait in a second such poll(), for POLLOUT
 * ({@link WritableWaiter}), also one per process.
 */
export class PosixBackend implements SlotBackend {
  readonly platform = 'posix';
  readonly #lib = libc();
  #wakePair: WakePair | undefined;
  /** The process's one wait for full readers, shared by every writer (made on first use). */
  #writable: WritableWaiter | undefined;

  createReader(path: string, frameSize: number, _readTimeoutMs: number, allowOtherUsers: boolean): SlotReader {
    const lib = this.#lib;
    const fd = datagramSocket(this.#lib, path);
    const { addr, len } = sockaddrUn(path, lib.c);
    if (lib.bind(fd, addr, len) !== 0) {
      const errno = lib.errno();
      try {
        if (errno !== E.EADDRINUSE) throw posixError('bind', errno, path);
        this.#replaceStaleSocket(path);
      } catch (error) {
        lib.close(fd);
        throw error;
      }
      if (lib.bind(fd, addr, len) !== 0) {
        const again = lib.errno();
        lib.close(fd);
        throw posixError('bind', again, path);
      }
    }
    try {
      // Who may send is the socket file's write bit: this user only, unless widened. The reader
      // also drops datagrams whose kernel-given uid is another user's (see MailslotOptions.allowOtherUsers).
      chmodSync(path, allowOtherUsers ? 0o666 : 0o600);
      return new PosixReader(lib, fd, path, frameSize, lstatSync(path));
    } catch (error) {
      lib.close(fd);
      try {
        unlinkSync(path);
      } catch {
        /* nothing bound there to clean up */
      }
      const e = error as NodeJS.ErrnoException;
      throw BusError.is(error) ? error : new BusError('OS_ERROR', `cannot set the mode of the new socket '${path}': ${e.message}; check the slot's directory`, {
        cause: error, ...(e.code !== undefined && { osName: e.code }),
      });
    }
  }

  /**
   * Removes what bind() found at `path` only if it is a socket nobody answers
   * on: what a killed reader leaves. Anything else stays where it is and the
   * reader is refused with ADDRESS_IN_USE naming the path: a regular file, a
   * directory or a symlink is someone's data, and a socket that answers is a
   * live reader (one reader per name).
   */
  #replaceStaleSocket(path: string): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    // Gone meanwhile: the second bind decides.
    if (st === undefined) return;
    if (!st.isSocket()) {
      const what = st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : st.isFile() ? 'a regular file' : 'not a socket';
      throw new BusError('ADDRESS_IN_USE', `'${path}' exists and is ${what}; pipebus only ever replaces a stale socket and will not remove it: move it away or choose another slot name`, {
        osName: 'EADDRINUSE', osCode: E.EADDRINUSE, details: { path },
      });
    }
    const answer = this.#probe(path);
    if (answer !== E.ECONNREFUSED) {
      throw answer === 0
        ? posixError('bind', E.EADDRINUSE, path, 'another process already reads this slot (one reader per name); close it or choose another name')
        : posixError('connect', answer, path, `cannot tell whether the socket at '${path}' is live, so it is left alone; remove it if it is stale, or choose another name`);
    }
    try {
      unlinkSync(path);
    } catch {
      /* raced with another sweeper: bind decides */
    }
  }

  createWriter(frameSize: number): SlotWriter {
    const lib = this.#lib;
    // Where POLLOUT does not track the reader's queue (macOS), writers get no waiter and a
    // send that meets a full queue retries on timers instead (see SocketConstants.pollOutTracksPeer).
    const waiter = lib.c.pollOutTracksPeer ? (this.#writable ??= new WritableWaiter(lib)) : undefined;
    return new PosixWriter(lib, frameSize, waiter);
  }

  wait(readers: readonly SlotReader[], timeoutMs: number): Promise<WaitResult[]> {
    const lib = this.#lib;
    const wake = (this.#wakePair ??= new WakePair(lib, 'the reader wake-up pair'));
    const fds = [wake.fd, ...readers.map((r) => (r as PosixReader).fd)];
    const pollfds = Buffer.alloc(8 * fds.length);
    fds.forEach((fd, i) => {
      pollfds.writeInt32LE(fd, i * 8);
      pollfds.writeInt16LE(lib.c.POLLIN, i * 8 + 4);
    });
    return new Promise((resolve) => {
      lib.poll.async(pollfds, fds.length, timeoutMs, () => {
        // Empty the wake-up socket; readers find out themselves what is waiting.
        wake.drain();
        resolve([]);
      });
    });
  }

  wake(): void {
    this.#wakePair?.wake();
  }

  isProcessAlive(pid: number): boolean {
    return isProcessAlive(pid);
  }

  /** 0 when a reader is bound at socket `path`; ECONNREFUSED when nobody is (stale); else the errno. */
  #probe(path: string): number {
    const probe = datagramSocket(this.#lib, path);
    const { addr, len } = sockaddrUn(path, this.#lib.c);
    const ok = this.#lib.connect(probe, addr, len) === 0;
    const errno = ok ? 0 : this.#lib.errno();
    this.#lib.close(probe);
    return errno;
  }
}
