import { endianness } from 'node:os';
// koffi has one index.d.ts for its import and require entries, in a "type": "module"
// package, so the CommonJS build takes it for ESM (TS1479) although require('koffi')
// loads its index.cjs. The ESM build has no error here, so not @ts-expect-error.
// @ts-ignore TS1479 in the CommonJS build only
import koffi from 'koffi';
import type { Libc } from './libc.js';
import { posixError } from '../advice/os-advice.js';

/** What the kernel says sent a datagram (SCM_CREDENTIALS): not what the sender claims. */
export interface KernelCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/** `struct msghdr` on LP64 Linux: name@0, namelen@8, iov@16, iovlen@24, control@32, controllen@40, flags@48. */
const MSGHDR_SIZE = 56;
/** CMSG_SPACE(sizeof(struct ucred)): a 16-byte cmsghdr and 12 bytes of pid/uid/gid, padded to 8. */
const CONTROL_SIZE = 32;
const CMSG_DATA = 16;

/**
 * Whether this process can read per-datagram credentials: Linux (SO_PASSCRED)
 * on a 64-bit little-endian build, the only layout of `struct msghdr` written here.
 */
export function credentialsSupported(lib: Libc): boolean {
  return lib.c.SO_PASSCRED !== undefined && koffi.sizeof('void *') === 8 && process.platform === 'linux' && endianness() === 'LE';
}

/**
 * Receives datagrams with `recvmsg()` on a socket with SO_PASSCRED set, so
 * each comes with the sender's pid/uid/gid as the kernel knows them. A sender
 * cannot forge them (only CAP_SYS_ADMIN may send other credentials). All
 * buffers are allocated once; their addresses stay valid while this object
 * holds them (Node never moves a Buffer's memory).
 */
export class CredentialReceiver {
  readonly #msg = Buffer.alloc(MSGHDR_SIZE);
  readonly #iov = Buffer.alloc(16);
  readonly #control = Buffer.alloc(CONTROL_SIZE);
  readonly #solSocket: number;
  readonly #scmCredentials: number;

  /**
   * Turns SO_PASSCRED on for `fd` and lays out the msghdr over `data` (the
   * datagram) and `addr` (the sender's address).
   * @throws BusError when setsockopt fails.
   */
  constructor(
    private readonly lib: Libc,
    private readonly fd: number,
    data: Buffer,
    private readonly addr: Buffer,
    path: string,
  ) {
    const one = Buffer.alloc(4);
    one.writeInt32LE(1, 0);
    if (lib.setsockopt(fd, lib.c.SOL_SOCKET, lib.c.SO_PASSCRED!, one, 4) !== 0) throw posixError('setsockopt(SO_PASSCRED)', lib.errno(), path);
    this.#solSocket = lib.c.SOL_SOCKET;
    this.#scmCredentials = lib.c.SCM_CREDENTIALS!;
    this.#iov.writeBigUInt64LE(koffi.address(data), 0);
    this.#iov.writeBigUInt64LE(BigInt(data.byteLength), 8);
    this.#msg.writeBigUInt64LE(koffi.address(addr), 0);
    this.#msg.writeBigUInt64LE(koffi.address(this.#iov), 16);
    this.#msg.writeBigUInt64LE(1n, 24);
    this.#msg.writeBigUInt64LE(koffi.address(this.#control), 32);
  }

  /**
   * One non-blocking receive. Returns the datagram's real length (MSG_TRUNC:
   * above the buffer means it was cut), or -1 with errno set.
   */
  receive(flags: number): number {
    // 32-bit writes of 64-bit fields whose high halves stay 0: no BigInt on the per-datagram path.
    this.#msg.writeUInt32LE(this.addr.byteLength, 8);
    this.#msg.writeUInt32LE(CONTROL_SIZE, 40);
    this.#control.writeUInt32LE(0, 0);
    return this.lib.recvmsg(this.fd, this.#msg, flags);
  }

  /** Length of the sender address the last receive filled in. */
  addressLength(): number {
    return this.#msg.readUInt32LE(8);
  }

  /** The kernel's credentials of the last datagram, if it attached them. */
  credentials(): KernelCredentials | undefined {
    const controlLen = this.#msg.readUInt32LE(40);
    const c = this.#control;
    if (controlLen < CMSG_DATA + 12 || c.readUInt32LE(0) < CMSG_DATA + 12) return undefined;
    if (c.readInt32LE(8) !== this.#solSocket || c.readInt32LE(12) !== this.#scmCredentials) return undefined;
    return { pid: c.readInt32LE(CMSG_DATA), uid: c.readUInt32LE(CMSG_DATA + 4), gid: c.readUInt32LE(CMSG_DATA + 8) };
  }
}
