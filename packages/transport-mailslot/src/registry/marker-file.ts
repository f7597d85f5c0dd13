import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { whileBusy } from './while-busy.js';

/** A marker holds one slot path and a newline; anything longer was not written by pipebus. */
export const MAX_MARKER_BYTES = 512;

/**
 * Open flags for reading a marker: never through a symlink (O_NOFOLLOW), and
 * never blocking on a FIFO planted under a marker's name (O_NONBLOCK).
 * Windows has neither flag (Node defines them as undefined there).
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** Create a new marker: fail rather than write through a name someone planted first. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Why a marker was not believed. */
export type MarkerRejection = 'not a regular file' | 'owned by another user' | 'too large' | 'names another slot' | 'unreadable';

/** A believed marker: the slot path it names, and (from the same fstat) its owner and when it was written. */
export interface MarkerContent {
  readonly path: string;
  /** The file's owner; undefined on Windows, which has no uid. */
  readonly uid: number | undefined;
  /** When the marker was written: its member joined then. */
  readonly writtenAt: Date;
}

/**
 * Reads the slot path a marker names, checking on the open file (fstat, so
 * nothing can be swapped between check and read) that it is a regular file
 * of this user. Returns the path, or why the marker is not to be believed.
 * ENOENT (its owner removed it meanwhile) is `undefined`.
 */
export function readMarker(file: string): MarkerContent | { rejected: MarkerRejection } | undefined {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ELOOP: a symlink under O_NOFOLLOW.
    return { rejected: code === 'ELOOP' ? 'not a regular file' : 'unreadable' };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { rejected: 'not a regular file' };
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (uid !== undefined && st.uid !== uid) return { rejected: 'owned by another user' };
    if (st.size > MAX_MARKER_BYTES) return { rejected: 'too large' };
    const buf = Buffer.alloc(MAX_MARKER_BYTES);
    const n = readSync(fd, buf, 0, MAX_MARKER_BYTES, 0);
    return { path: buf.subarray(0, n).toString('utf8').trimEnd(), uid, writtenAt: st.mtime };
  } catch {
    return { rejected: 'unreadable' };
  } finally {
    closeSync(fd);
  }
}

/** Creates marker `file` naming `slotPath`, mode 0600; throws if anything is already at that name. */
export function writeMarker(file: string, slotPath: string): void {
  const fd = whileBusy(() => openSync(file, CREATE_FLAGS, 0o600));
  try {
    writeSync(fd, `${slotPath}\n`);
  } finally {
    closeSync(fd);
  }
}
