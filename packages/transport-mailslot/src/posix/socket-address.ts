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
 * Reads the sender's identity from the address recvfrom filled in: pipebus
 * writers bind to {@link writerName}, so the pid is known; other senders are
 * anonymous (unbound) or named by their path.
 */
export function senderFromAddress(addr: Buffer, len: number): { id: string; pid?: number } | undefined {
  if (len <= 2) return undefined;
  const name = addr.subarray(2, len);
  if (name[0] === 0) {
    const text = name.subarray(1).toString('utf8');
    // The serial is left out of the id: every socket of one writer is one peer. Older writers had none.
    const m = /^pipebus-w\/(\d+)\/([0-9a-f]+)(?:\/[0-9a-f]+)?$/.exec(text);
    if (m !== null) return { id: `mailslot:${m[1]}-${m[2]}`, pid: Number(m[1]) };
    return { id: `mailslot:@${text}` };
  }
  const end = name.indexOf(0);
  return { id: `mailslot:${name.subarray(0, end < 0 ? name.length : end).toString('utf8')}` };
}
