import { lazyNative } from '@pipebus/os';
import type { PeerIdentity } from '../backend/pipe-backend.js';
import { importKoffi } from './import-koffi.js';

/**
 * Every libc function this package calls through koffi, declared once.
 * Node gives us the socket's fd (`socket._handle.fd`) but not its peer's
 * credentials; the kernel does, through one getsockopt.
 */
export interface PosixLibc {
  /** The credentials of the process at the other end of a connected unix socket, or undefined if the OS would not say. */
  peerCredentials(fd: number): PeerIdentity | undefined;
}

// Linux <sys/socket.h>
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const UCRED_BYTES = 12; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
// macOS <sys/un.h>
const SOL_LOCAL = 0;
const LOCAL_PEERPID = 0x002;

// koffi and libc load on the first start(), never at import (the shared rule of @pipebus/os).
const bindOnce = lazyNative('libc through koffi', bind);

/**
 * Loads the bindings once. Resolves undefined (never rejects) where koffi or
 * the platform is unsupported: identity is then unknown, and the private
 * 0700 directory alone keeps other users out.
 */
export function loadLibc(): Promise<PosixLibc | undefined> {
  return bindOnce().catch(() => undefined);
}

async function bind(): Promise<PosixLibc | undefined> {
  const koffi = await importKoffi();
  if (process.platform === 'linux') {
    const libc = koffi.load('libc.so.6');
    const getsockopt = libc.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)');
    return {
      peerCredentials(fd) {
        const value = Buffer.alloc(UCRED_BYTES);
        const length = [UCRED_BYTES];
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, value, length) !== 0) return undefined;
        return { pid: value.readInt32LE(0), uid: value.readUInt32LE(4), gid: value.readUInt32LE(8) };
      },
    };
  }
  if (process.platform === 'darwin') {
    // Written from the macOS headers; not run on this project's machines.
    const libc = koffi.load('libSystem.B.dylib');
    const getpeereid = libc.func('int getpeereid(int fd, _Out_ uint32_t *uid, _Out_ uint32_t *gid)');
    const getsockopt = libc.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)');
    return {
      peerCredentials(fd) {
        const uid = [0];
        const gid = [0];
        if (getpeereid(fd, uid, gid) !== 0) return undefined;
        const value = Buffer.alloc(4);
        const length = [4];
        const pid = getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, value, length) === 0 ? value.readInt32LE(0) : undefined;
        return { uid: uid[0]!, gid: gid[0]!, ...(pid !== undefined && { pid }) };
      },
    };
  }
  return undefined;
}
