import { posixError } from '../advice/os-advice.js';
import type { Libc } from './libc.js';

/** A new AF_UNIX datagram socket; throws the BusError for a failed socket() naming `target`. */
export function datagramSocket(lib: Libc, target: string): number {
  const fd = lib.socket(lib.c.AF_UNIX, lib.c.SOCK_DGRAM, 0);
  if (fd < 0) throw posixError('socket', lib.errno(), target);
  return fd;
}
