import type net from 'node:net';
import { BusError } from '@pipebus/core';
import { win32Error } from '../advice/os-advice.js';
import type { ListenerSettings, PeerIdentity, PipeListener } from '../backend/pipe-backend.js';
import { pipeSecurity, processUserSid, type PipeSecurity } from './security.js';
import {
  ERROR_ACCESS_DENIED, ERROR_IO_PENDING, ERROR_PIPE_BUSY, ERROR_PIPE_CONNECTED, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED,
  PIPE_ACCESS_DUPLEX, PIPE_READMODE_BYTE, PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, WAIT_OBJECT_0, WAIT_TIMEOUT,
  allocOverlapped, freeMemory, isInvalidHandle, resetOverlapped, waitForObjectAsync, win32, type Handle,
} from './win32-api.js';
import { pipeExists, socketOver } from './pipe-handle.js';

/** Longest single wait on the pool; close() also wakes it at once through the event. */
const WAIT_SLICE_MS = 1000;
const BUFFER_BYTES = 64 * 1024;

/**
 * Serves one pipe name. One instance at a time waits for a client, with an
 * overlapped ConnectNamedPipe whose event is awaited on the libuv pool — a
 * single pool thread however many clients come, never one per instance.
 * As soon as a client arrives the next instance is created, so the window in
 * which a second client finds the pipe busy is a few microseconds.
 */
export class NamedPipeListener implements PipeListener {
  readonly #path: string;
  readonly #settings: ListenerSettings;
  readonly #instances: number;
  #security: PipeSecurity | undefined;
  #event: Handle;
  #overlapped: unknown;
  #closing = false;
  #loop: Promise<void> = Promise.resolve();
  #connected = 0;
  #slotFreed: (() => void) | undefined;

  constructor(path: string, settings: ListenerSettings) {
    this.#path = path;
    this.#settings = settings;
    this.#instances = Math.min(settings.maxClients, PIPE_UNLIMITED_INSTANCES);
  }

  async listen(onAccept: (socket: net.Socket, identity: PeerIdentity) => void, onError: (error: Error) => void): Promise<void> {
    // FILE_FLAG_FIRST_PIPE_INSTANCE refuses a taken name on Windows, but Wine 8
    // ignores it (verified): ask whether an instance answers first.
    if (pipeExists(this.#path)) throw this.#inUse();
    this.#security = pipeSecurity(this.#settings.access);
    const first = this.#createInstance(true);
    this.#event = win32.CreateEventW(null, 1, 0, null);
    if (isInvalidHandle(this.#event)) {
      win32.CloseHandle(first);
      throw win32Error('create the pipe wait event', win32.GetLastError());
    }
    this.#overlapped = allocOverlapped(this.#event);
    this.#loop = this.#acceptLoop(first, onAccept, onError).finally(() => this.#release());
  }

  async close(): Promise<void> {
    if (this.#closing) return this.#loop;
    this.#closing = true;
    this.#slotFreed?.();
    if (this.#event !== undefined && !isInvalidHandle(this.#event)) win32.SetEvent(this.#event);
    return this.#loop;
  }

  async #acceptLoop(first: Handle, onAccept: (socket: net.Socket, identity: PeerIdentity) => void, onError: (error: Error) => void): Promise<void> {
    let instance: Handle | undefined = first;
    while (!this.#closing) {
      try {
        instance ??= await this.#nextInstance();
        if (instance === undefined) return;
        if (!(await this.#waitForClient(instance))) {
          this.#abandon(instance);
          return;
        }
        const connected: Handle = instance;
        instance = undefined;
        const pid = [0];
        // The user, for maxClientsPerUser: unknown if its process may not be opened (then counted as one unknown user).
        const sid = win32.GetNamedPipeClientProcessId(connected, pid) ? processUserSid(pid[0]!) : undefined;
        const identity: PeerIdentity = pid[0] ? { pid: pid[0], ...(sid !== undefined && { sid }) } : {};
        const socket = socketOver(connected);
        this.#connected++;
        socket.once('close', () => {
          this.#connected--;
          this.#slotFreed?.();
        });
        onAccept(socket, identity);
      } catch (error) {
        if (instance !== undefined) {
          win32.CloseHandle(instance);
          instance = undefined;
        }
        if (!this.#closing) onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (instance !== undefined) win32.CloseHandle(instance);
  }

  /** A new instance; when every instance is taken (maxClients), waits for a client to leave. */
  async #nextInstance(): Promise<Handle | undefined> {
    while (!this.#closing) {
      if (this.#connected < this.#instances) {
        try {
          return this.#createInstance(false);
        } catch (error) {
          if (!BusError.is(error, 'BUSY')) throw error;
        }
      }
      await new Promise<void>((resolve) => (this.#slotFreed = resolve));
      this.#slotFreed = undefined;
    }
    return undefined;
  }

  /** Waits for a client on `instance`: true when one connected, false when closing. */
  async #waitForClient(instance: Handle): Promise<boolean> {
    resetOverlapped(this.#overlapped, this.#event);
    win32.ResetEvent(this.#event);
    if (win32.ConnectNamedPipe(instance, this.#overlapped)) return true;
    const error = win32.GetLastError();
    // The client came between CreateNamedPipe and ConnectNamedPipe: already connected.
    if (error === ERROR_PIPE_CONNECTED) return true;
    if (error !== ERROR_IO_PENDING) throw win32Error(`wait for a client on '${this.#path}'`, error);
    for (;;) {
      const result = await waitForObjectAsync(this.#event, WAIT_SLICE_MS);
      if (this.#closing) return false;
      if (result === WAIT_TIMEOUT) continue;
      if (result !== WAIT_OBJECT_0) throw win32Error(`wait for a client on '${this.#path}'`, win32.GetLastError());
      const transferred = [0];
      if (!win32.GetOverlappedResult(instance, this.#overlapped, transferred, 0)) {
        throw win32Error(`accept a client on '${this.#path}'`, win32.GetLastError());
      }
      return true;
    }
  }

  /** Cancels the pending ConnectNamedPipe and waits for it to finish before the OVERLAPPED is freed. */
  #abandon(instance: Handle): void {
    win32.CancelIoEx(instance, this.#overlapped);
    win32.GetOverlappedResult(instance, this.#overlapped, [0], 1);
    win32.CloseHandle(instance);
  }

  #createInstance(first: boolean): Handle {
    const handle = win32.CreateNamedPipeW(
      this.#path,
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_REJECT_REMOTE_CLIENTS,
      this.#instances,
      BUFFER_BYTES,
      BUFFER_BYTES,
      0,
      this.#security!.attributes,
    );
    if (!isInvalidHandle(handle)) return handle;
    const error = win32.GetLastError();
    // First instance refused: another server owns the name (Windows says ACCESS_DENIED or PIPE_BUSY).
    if (first && (error === ERROR_ACCESS_DENIED || error === ERROR_PIPE_BUSY)) throw this.#inUse(error);
    throw win32Error(`create an instance of '${this.#path}'`, error);
  }

  #inUse(osCode?: number): BusError {
    return new BusError('ADDRESS_IN_USE', `a live server already serves '${this.#path}'; stop it or pick another address`, {
      ...(osCode !== undefined && { osCode, osName: osCode === ERROR_ACCESS_DENIED ? 'ERROR_ACCESS_DENIED' : 'ERROR_PIPE_BUSY' }),
      details: { path: this.#path },
    });
  }

  #release(): void {
    if (this.#overlapped !== undefined) freeMemory(this.#overlapped);
    if (this.#event !== undefined && !isInvalidHandle(this.#event)) win32.CloseHandle(this.#event);
    this.#security?.free();
    this.#overlapped = undefined;
    this.#event = undefined;
    this.#security = undefined;
  }
}
