import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { BusError } from '@pipebus/core';
import { checkPrivateDir, defaultRuntimeDir, ensurePrivateDir } from '@pipebus/os';
import type { ResolvedPipeAddress } from '../address/resolve-address.js';
import { errnoError, PIPE_ADVICE } from '../advice/os-advice.js';
import { widens } from '../access/peer-access.js';
import type { ListenerSettings, PeerIdentity, PipeBackend, PipeListener } from '../backend/pipe-backend.js';
import { loadLibc, type PosixLibc } from './libc.js';

/** Unix domain sockets through `node:net`, identity through `SO_PEERCRED` (koffi → libc). */
export const posixBackend: PipeBackend = {
  createListener: (address, settings) => new UnixSocketListener(address, settings),
  async connect(address, runtimeDir) {
    // A socket of ours lives in our private dir; one in a dir someone else
    // controls could be an impostor's, so refuse it as the server would.
    if (inRuntimeDir(address.path, runtimeDir)) checkPrivateDir(path.dirname(address.path), { advice: PIPE_ADVICE });
    const libc = await loadLibc();
    const socket = await connectSocket(address.path);
    return { socket, identity: identityOf(socket, libc) };
  },
  selfIdentity() {
    const uid = process.getuid?.();
    return uid === undefined ? {} : { uid };
  },
};

class UnixSocketListener implements PipeListener {
  #server: net.Server | undefined;

  constructor(
    private readonly address: ResolvedPipeAddress,
    private readonly settings: ListenerSettings,
  ) {}

  async listen(onAccept: (socket: net.Socket, identity: PeerIdentity) => void, onError: (error: Error) => void): Promise<void> {
    const file = this.address.path;
    if (inRuntimeDir(file, this.settings.runtimeDir)) ensurePrivateDir(path.dirname(file), { advice: PIPE_ADVICE });
    const libc = await loadLibc();
    if (libc === undefined) {
      this.settings.logger.warn('peer credentials are not available on this platform: peers have no pid/uid, and only the socket directory permissions keep other users out', { path: file });
    }
    const server = net.createServer((socket) => onAccept(socket, identityOf(socket, libc)));
    this.#server = server;
    try {
      await listenOn(server, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw errnoError(`listen on '${file}'`, error);
      await replaceStaleSocket(file);
      try {
        await listenOn(server, file);
      } catch (again) {
        // Another server took the path between our unlink and listen: it is live, not ours.
        throw errnoError(`listen on '${file}'`, again);
      }
    }
    // Only now: a listen() failure is listenOn's to report (and the first
    // EADDRINUSE of a stale-socket takeover is no failure at all), so the
    // permanent handler, which the server logs as an accept failure, must not
    // see it.
    server.on('error', onError);
    if (widens(this.settings.access)) {
      // Other users need write permission on the socket file to connect (and search permission on its directory).
      await fs.chmod(file, 0o666).catch((error: unknown) => {
        throw errnoError(`open '${file}' to other users`, error);
      });
    }
  }

  close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined || !server.listening) return Promise.resolve();
    // libuv unlinks the socket file when the listening handle closes; the
    // callback waits for accepted sockets, which the transport destroys.
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/** True when `file` sits in the runtime dir (so that dir must be private). */
function inRuntimeDir(file: string, runtimeDir: string | undefined): boolean {
  return path.dirname(file) === path.resolve(runtimeDir ?? defaultRuntimeDir());
}

function identityOf(socket: net.Socket, libc: PosixLibc | undefined): PeerIdentity {
  // Node keeps the fd on its internal handle; there is no public accessor.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (libc === undefined || typeof fd !== 'number' || fd < 0) return {};
  return libc.peerCredentials(fd) ?? {};
}

function listenOn(server: net.Server, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(file);
  });
}

/** Connects once; rejects with a mapped BusError (ENOENT/ECONNREFUSED → NOT_FOUND, EACCES → ACCESS_DENIED). */
function connectSocket(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      socket.destroy();
      reject(errnoError(`connect to '${file}'`, error));
    };
    socket.once('error', onError);
  });
}

/**
 * The path is taken. A socket nobody accepts on (ECONNREFUSED) is what a dead
 * server leaves behind: remove it. A live one, or anything that is not a
 * socket, is never touched.
 */
async function replaceStaleSocket(file: string): Promise<void> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (stat !== undefined && !stat.isSocket()) {
    throw new BusError('ADDRESS_IN_USE', `'${file}' exists and is not a socket; pipebus will not remove it: move it away or pick another address`, {
      osName: 'EADDRINUSE', details: { path: file },
    });
  }
  try {
    const probe = await connectSocket(file);
    probe.destroy();
  } catch (error) {
    if (BusError.is(error, 'NOT_FOUND')) {
      await fs.unlink(file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw errnoError(`remove the stale socket '${file}'`, e);
      });
      return;
    }
    throw error;
  }
  throw new BusError('ADDRESS_IN_USE', `a live server already listens on '${file}'; stop it or pick another address`, {
    osName: 'EADDRINUSE', details: { path: file },
  });
}
