import type { SenderInfo } from '../backend/slot-backend.js';
import type { KernelCredentials } from './credentials.js';
import type { SocketConstants } from './libc.js';

/** Bytes of a `struct sockaddr_un` (2-byte family header + 108-byte path). */
export const SOCKADDR_UN_SIZE = 110;

/**
 * Builds a `struct sockaddr_un` for `path`; a path starting with NUL is a
 * Linux abstract name. Returns the buffer and the length to pass the kernel.
 */
export function sockaddrUn(path: string, c: SocketConstants): { addr: Buffer; len: number } {
  const bytes = Buffer.from(path, 'utf8');
  const addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  if (c.sunLen) {
    addr[0] = Math.min(255, 2 + bytes.length + 1);
    addr[1] = c.AF_UNIX;
  } else {
    addr.writeUInt16LE(c.AF_UNIX, 0);
  }
  bytes.copy(addr, 2);
  // Abstract names are exact byte strings; filesystem paths end at their NUL.
  const abstract = bytes[0] === 0;
  return { addr, len: 2 + bytes.length + (abstract ? 0 : 1) };
}

/**
 * Name of a writer socket in the abstract namespace:
 * `\0pipebus-w/<pid>/<random>/<serial>`. A writer has one socket per reader;
 * they share `<random>`, and `<serial>` only keeps the names apart.
 */
export function writerName(pid: number, random: string, serial: number): string {
  return `\0pipebus-w/${pid}/${random}/${serial.toString(16)}`;
}

/**
 * The sender of a datagram, from the address recvfrom/recvmsg filled in and,
 * where the kernel gave them, its credentials. Only the kernel's word counts:
 * `pid`, `uid` and `gid` come from `creds` alone. A pipebus writer's abstract
 * name (`pipebus-w/<pid>/<random>`) only gives the id its `<random>` part, and
 * only when its `<pid>` is the kernel's; any other sender is
 * `mailslot:<pid>@<name>` (or `mailslot:<pid>` when unbound), so no process can
 * pass for another. Without credentials (macOS) the id is the name, unverified,
 * and there is no pid.
 */
export function senderFromAddress(addr: Buffer, len: number, creds?: KernelCredentials): SenderInfo | undefined {
  const name = len <= 2 ? undefined : addr.subarray(2, len);
  let text: string | undefined;
  let claimed: { pid: number; random: string } | undefined;
  if (name !== undefined && name[0] === 0) {
    text = `@${name.subarray(1).toString('utf8')}`;
    // The serial is left out of the id: every socket of one writer is one peer. Older writers had none.
    const m = /^@pipebus-w\/(\d+)\/([0-9a-f]+)(?:\/[0-9a-f]+)?$/.exec(text);
    if (m !== null) claimed = { pid: Number(m[1]), random: m[2]! };
  } else if (name !== undefined) {
    const end = name.indexOf(0);
    text = name.subarray(0, end < 0 ? name.length : end).toString('utf8');
  }
  if (creds === undefined) {
    if (claimed !== undefined) return { id: `mailslot:${claimed.pid}-${claimed.random}` };
    return text === undefined ? undefined : { id: `mailslot:${text}` };
  }
  const who = { pid: creds.pid, uid: creds.uid, gid: creds.gid };
  if (claimed !== undefined && claimed.pid === creds.pid) return { id: `mailslot:${creds.pid}-${claimed.random}`, ...who };
  return { id: `mailslot:${creds.pid}${text === undefined ? '' : `@${text.replace(/^@/, '')}`}`, ...who };
}
