import { systemClock, type Clock } from '@pipebus/core';
import type { Datagram, SlotBackend, SlotReader, SlotWriter, WaitResult, WriteOutcome } from '../backend/slot-backend.js';
import { isProcessAlive } from '../registry/process-alive.js';
import {
  FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, FILE_SHARE_WRITE, GENERIC_WRITE, INVALID_HANDLE_VALUE, MAILSLOT_NO_MESSAGE, OPEN_EXISTING, WinError, kernel32, type Kernel32,
} from './kernel32.js';
import { slotSecurity } from './slot-security.js';
import { win32Error } from '../advice/os-advice.js';

/** Mailslots carry no sender identity: every frame gets this one, and the bus's fragment sender id tells writers apart. */
const UNKNOWN_SENDER = { id: 'mailslot:unknown' } as const;

class Win32Reader implements SlotReader {
  readonly buf: Buffer;
  readonly readCount = Buffer.alloc(4);
  readonly #next = Buffer.alloc(4);
  #closed = false;

  constructor(
    private readonly k: Kernel32,
    readonly handle: number,
    readonly path: string,
    readonly frameSize: number,
  ) {
    // One spare byte: Wine 8 hands a blocking ReadFile a longer message cut to the buffer, without
    // ERROR_INSUFFICIENT_BUFFER, so a read that fills frameSize + 1 bytes marks an oversized message.
    this.buf = Buffer.allocUnsafe(frameSize + 1);
  }

  drain(max: number, emit: (d: Datagram) => void, oversize: (size: number) => void): number {
    let read = 0;
    while (read < max && !this.#closed) {
      // GetMailslotInfo never blocks; ReadFile then finds the message it announced.
      if (!this.k.GetMailslotInfo(this.handle, null, this.#next, null, null)) {
        throw win32Error('GetMailslotInfo', this.k.GetLastError(), this.path);
      }
      const size = this.#next.readUInt32LE(0);
      if (size === MAILSLOT_NO_MESSAGE) break;
      const target = size > this.frameSize ? Buffer.allocUnsafe(size) : this.buf;
      if (!this.k.ReadFile(this.handle, target, size > this.frameSize ? size : this.frameSize, this.readCount, null)) {
        throw win32Error('ReadFile', this.k.GetLastError(), this.path);
      }
      read++;
      const n = this.readCount.readUInt32LE(0);
      if (n > this.frameSize) oversize(n);
      else if (n > 0) emit({ data: new Uint8Array(target.subarray(0, n)), sender: UNKNOWN_SENDER });
    }
    return read;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.k.CloseHandle(this.handle);
  }
}

/**
 * Wine 8 keeps accepting writes on a handle whose reader has closed (they go
 * nowhere), so a cached handle is re-opened after this long: CreateFileW then
 * reports ERROR_FILE_NOT_FOUND for a listener that is gone.
 */
const HANDLE_MAX_AGE_MS = 1000;

class Win32Writer implements SlotWriter {
  readonly #handles = new Map<string, { handle: number; openedAt: number }>();
  /** @param clock - the transport's clock: a cached handle's age is measured on it. */
  constructor(private readonly k: Kernel32, private readonly clock: Clock) {}

  write(): WriteOutcome {
    throw new Error('Win32Writer writes through writeBlocking()');
  }

  async writeBlocking(path: string, data: Uint8Array): Promise<void> {
    const { handle, fresh } = this.#open(path);
    const code = await new Promise<number>((resolve, reject) => {
      // The Buffers live in this closure until koffi calls back.
      this.k.WriteFile.async(handle, data, data.byteLength, Buffer.alloc(4), null, (err, ok) => {
        const last = ok ? 0 : this.k.GetLastError();
        if (err) reject(err);
        else resolve(last);
      });
    });
    if (code === 0) return;
    this.forget(path);
    // A cached handle may outlive its reader: open the name again once to learn whether anyone reads it now.
    if (!fresh) return this.writeBlocking(path, data);
    throw win32Error('WriteFile', code, path);
  }

  #open(path: string): { handle: number; fresh: boolean } {
    const cached = this.#handles.get(path);
    if (cached !== undefined && this.clock.now() - cached.openedAt < HANDLE_MAX_AGE_MS) return { handle: cached.handle, fresh: false };
    if (cached !== undefined) this.forget(path);
    // FILE_SHARE_WRITE too: under Wine a second writer's open fails with ERROR_SHARING_VIOLATION (32) without it.
    const handle = this.k.CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, 0);
    if (handle === INVALID_HANDLE_VALUE) throw win32Error('CreateFileW', this.k.GetLastError(), path);
    this.#handles.set(path, { handle, openedAt: this.clock.now() });
    return { handle, fresh: true };
  }

  forget(path: string): void {
    const cached = this.#handles.get(path);
    if (cached === undefined) return;
    this.#handles.delete(path);
    this.k.CloseHandle(cached.handle);
  }

  close(): void {
    for (const path of [...this.#handles.keys()]) this.forget(path);
  }
}

/**
 * kernel32 mailslots. Mailslot handles cannot be polled, so the reader loop's
 * one blocking call is a `ReadFile.async` on one slot at a time (rotating when
 * a process reads several), bounded by the slot's read timeout; the other
 * slots are drained with non-blocking GetMailslotInfo + ReadFile after it.
 */
export class Win32Backend implements SlotBackend {
  readonly platform = 'win32';
  readonly #k = kernel32();
  #turn = 0;
  #waiting: Win32Reader | undefined;

  createReader(path: string, frameSize: number, readTimeoutMs: number, allowOtherUsers: boolean): SlotReader {
    // An explicit DACL (this user only, unless widened) rather than whatever the token's default grants.
    const handle = this.#k.CreateMailslotW(path, 0, readTimeoutMs, slotSecurity(allowOtherUsers).attributes);
    if (handle === INVALID_HANDLE_VALUE) throw win32Error('CreateMailslotW', this.#k.GetLastError(), path);
    return new Win32Reader(this.#k, handle, path, frameSize);
  }

  createWriter(_frameSize: number, clock: Clock = systemClock): SlotWriter {
    return new Win32Writer(this.#k, clock);
  }

  wait(readers: readonly SlotReader[]): Promise<WaitResult[]> {
    const reader = readers[this.#turn++ % readers.length] as Win32Reader;
    this.#waiting = reader;
    return new Promise((resolve, reject) => {
      this.#k.ReadFile.async(reader.handle, reader.buf, reader.buf.length, reader.readCount, null, (err, ok) => {
        // First thing: koffi hands this async call's last error to the next GetLastError.
        const code = ok ? 0 : this.#k.GetLastError();
        this.#waiting = undefined;
        if (err) return reject(err);
        if (ok) {
          const n = reader.readCount.readUInt32LE(0);
          // An empty message is wake()'s nudge, not data.
          if (n === 0) return resolve([]);
          if (n > reader.frameSize) return resolve([{ reader, oversize: n }]);
          return resolve([{ reader, datagram: { data: new Uint8Array(reader.buf.subarray(0, n)), sender: UNKNOWN_SENDER } }]);
        }
        // 121: the read timeout passed; 122: a message above frameSize waits, and drain() takes it;
        // 109: what Wine 8's blocking mailslot ReadFile returns when a message arrives (the message
        // stays queued and drain() reads it).
        if (code === WinError.ERROR_SEM_TIMEOUT || code === WinError.ERROR_INSUFFICIENT_BUFFER || code === WinError.ERROR_BROKEN_PIPE) return resolve([]);
        reject(win32Error('ReadFile', code, reader.path));
      });
    });
  }

  /**
   * Ends a pending wait at once by writing an empty message to the slot being
   * waited on (readers skip empty messages), so close() need not sit out the
   * read timeout. If that fails, the timeout still bounds the wait.
   */
  wake(): void {
    const reader = this.#waiting;
    if (reader === undefined) return;
    const h = this.#k.CreateFileW(reader.path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, 0);
    if (h === INVALID_HANDLE_VALUE) return;
    // Synchronous, and the handle closed at once: a handle left open would keep the slot's name
    // taken after close() (a new CreateMailslotW of it gets 183 under Wine).
    this.#k.WriteFile(h, new Uint8Array(0), 0, Buffer.alloc(4), null);
    this.#k.CloseHandle(h);
  }

  isProcessAlive(pid: number): boolean {
    return isProcessAlive(pid);
  }
}
