import type { Libc } from './libc.js';
import { posixError } from '../advice/os-advice.js';

/**
 * A datagram socket pair whose read end sits in a blocking poll() beside the
 * sockets it watches: writing a byte to the other end makes that poll return
 * at once, so the event loop can cut a wait on the libuv pool short.
 */
export class WakePair {
  /** The end to poll for POLLIN. */
  readonly fd: number;
  readonly #other: number;
  readonly #scratch = Buffer.alloc(64);
  static readonly #byte = Uint8Array.of(1);

  /** @throws BusError (`socketpair` failed) naming `what` the pair is for. */
  constructor(
    private readonly lib: Libc,
    what: string,
  ) {
    const sv = Buffer.alloc(8);
    if (lib.socketpair(lib.c.AF_UNIX, lib.c.SOCK_DGRAM, 0, sv) !== 0) throw posixError('socketpair', lib.errno(), what);
    this.fd = sv.readInt32LE(0);
    this.#other = sv.readInt32LE(4);
  }

  /** Makes the poll in flight (or the next one) return. Never blocks: a full pair already holds a wake-up. */
  wake(): void {
    this.lib.sendto(this.#other, WakePair.#byte, 1, this.lib.c.MSG_DONTWAIT, null, 0);
  }

  /** Empties the read end after a poll, so the next one blocks again. */
  drain(): void {
    while (this.lib.recvfrom(this.fd, this.#scratch, this.#scratch.length, this.lib.c.MSG_DONTWAIT, null, null) > 0);
  }
}
