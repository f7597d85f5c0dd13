// koffi has one index.d.ts for its import and require entries, in a "type": "module"
// package, so the CommonJS build takes it for ESM (TS1479) although require('koffi')
// loads its index.cjs. The ESM build has no error here, so not @ts-expect-error.
// @ts-ignore TS1479 in the CommonJS build only
import koffi from 'koffi';
import { BusError } from '@pipebus/core';
import { errnoValue } from '@pipebus/os';

/**
 * libc through koffi: every declaration the POSIX backend uses, in one place.
 * Pointer arguments are `void *` and take Node Buffers, which koffi passes by
 * address without copying, so the kernel writes straight into them.
 */

/** Constants that differ between Linux and macOS (the latter is untested). */
export interface SocketConstants {
  readonly AF_UNIX: number;
  readonly SOCK_DGRAM: number;
  readonly SOL_SOCKET: number;
  readonly SO_SNDBUF: number;
  readonly SO_RCVBUF: number;
  readonly MSG_DONTWAIT: number;
  /** recv flag: return the real datagram length even when the buffer was smaller. */
  readonly MSG_TRUNC: number;
  readonly POLLIN: number;
  readonly POLLOUT: number;
  /**
   * Whether POLLOUT on a *connected* datagram socket means "the peer's receive
   * queue has room". Linux's unix_dgram_poll checks the peer (and the kernel
   * wakes the poller when the peer reads), so a sender can wait for a full
   * listener instead of polling it. macOS reports POLLOUT from the sender's
   * own buffer only, so a full peer looks writable and a wait would spin.
   */
  readonly pollOutTracksPeer: boolean;
  /** macOS's sockaddr_un starts with a length byte. */
  readonly sunLen: boolean;
  /** Linux has an abstract socket namespace (sun_path starting with NUL). */
  readonly abstractNames: boolean;
  /**
   * Linux: SO_PASSCRED makes the kernel attach the sender's real pid/uid/gid
   * (SCM_CREDENTIALS) to every datagram a socket receives. Undefined where the
   * kernel offers no per-datagram credentials (macOS).
   */
  readonly SO_PASSCRED?: number;
  readonly SCM_CREDENTIALS?: number;
}

const LINUX: SocketConstants = {
  AF_UNIX: 1, SOCK_DGRAM: 2, SOL_SOCKET: 1, SO_SNDBUF: 7, SO_RCVBUF: 8,
  MSG_DONTWAIT: 0x40, MSG_TRUNC: 0x20, POLLIN: 1, POLLOUT: 4, pollOutTracksPeer: true, sunLen: false, abstractNames: true,
  SO_PASSCRED: 16, SCM_CREDENTIALS: 2,
};
const DARWIN: SocketConstants = {
  AF_UNIX: 1, SOCK_DGRAM: 2, SOL_SOCKET: 0xffff, SO_SNDBUF: 0x1001, SO_RCVBUF: 0x1002,
  MSG_DONTWAIT: 0x80, MSG_TRUNC: 0x10, POLLIN: 1, POLLOUT: 4, pollOutTracksPeer: false, sunLen: true, abstractNames: false,
};

/** The libc functions, with `.async` variants for the one blocking call (poll). */
export interface Libc {
  readonly c: SocketConstants;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Buffer | null, addrLen: number): number;
  recvfrom(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer | null, addrLen: Buffer | null): number;
  /** `msg` is a `struct msghdr` laid out by hand (see posix/credentials.ts). */
  recvmsg(fd: number, msg: Buffer, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  socketpair(domain: number, type: number, protocol: number, sv: Buffer): number;
  close(fd: number): number;
  poll: ((fds: Buffer, nfds: number, timeoutMs: number) => number) & {
    async(fds: Buffer, nfds: number, timeoutMs: number, cb: (err: unknown, result: number) => void): void;
  };
  /** errno of the last call (koffi saves it right after each call, async ones too). */
  errno(): number;
}

let loaded: Libc | undefined;

/** Loads libc once per process. Throws `NOT_SUPPORTED` on a platform without a known libc. */
export function libc(): Libc {
  if (loaded !== undefined) return loaded;
  const c = process.platform === 'linux' ? LINUX : process.platform === 'darwin' ? DARWIN : undefined;
  if (c === undefined) throw new BusError('NOT_SUPPORTED', `the POSIX mailslot backend knows Linux and macOS socket constants, not ${process.platform}`);
  const lib = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  loaded = {
    c,
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, void *addr, uint32_t len)'),
    connect: lib.func('int connect(int fd, void *addr, uint32_t len)'),
    send: lib.func('intptr_t send(int fd, void *buf, size_t len, int flags)'),
    sendto: lib.func('intptr_t sendto(int fd, void *buf, size_t len, int flags, void *addr, uint32_t addrlen)'),
    recvfrom: lib.func('intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *addrlen)'),
    recvmsg: lib.func('intptr_t recvmsg(int fd, void *msg, int flags)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)'),
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, void *sv)'),
    close: lib.func('int close(int fd)'),
    poll: poll as Libc['poll'],
    errno: () => koffi.errno(),
  };
  return loaded;
}

/** Named errno values this backend branches on, for the running platform (Node's table: no koffi needed to name them). */
export const E = {
  EAGAIN: errnoValue('EAGAIN', 11),
  EWOULDBLOCK: errnoValue('EWOULDBLOCK', 11),
  EINTR: errnoValue('EINTR', 4),
  ENOENT: errnoValue('ENOENT', 2),
  ECONNREFUSED: errnoValue('ECONNREFUSED', 111),
  ENOTCONN: errnoValue('ENOTCONN', 107),
  EADDRINUSE: errnoValue('EADDRINUSE', 98),
  EACCES: errnoValue('EACCES', 13),
  EMSGSIZE: errnoValue('EMSGSIZE', 90),
  ENOBUFS: errnoValue('ENOBUFS', 105),
} as const;
