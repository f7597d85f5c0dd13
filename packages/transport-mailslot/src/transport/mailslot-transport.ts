import { randomBytes } from 'node:crypto';
import { BusError, type Clock, type Logger } from '@pipebus/core';
import { Transport, type PeerInfo, type TransportCapabilities } from '@pipebus/core/transport-kit';
import { loadPlatformBackend } from '../backend/choose-backend.js';
import type { Datagram, SlotBackend, SlotReader, SlotWriter } from '../backend/slot-backend.js';
import { injectedBackend } from '../backend/backend-seam.js';
import { optionalClock } from '@pipebus/os';
import { ReaderLoop } from '../reader/reader-loop.js';
import { GroupRegistry } from '../registry/group-registry.js';
import { FanOut, type FanOutCounters, type Target } from './fan-out.js';
import { Batcher, type TakeAtOnce } from './batcher.js';
import { isBatch, unpackBatch } from './batch.js';
import { resolveMailslotOptions, type MailslotOptions, type ResolvedMailslotOptions } from '../options/mailslot-options.js';

/** Counters of one {@link MailslotTransport}. */
export interface MailslotStats {
  /** Frames accepted by send(). */
  framesSent: number;
  /** Datagrams the OS took (a group send makes one per listener). */
  deliveries: number;
  /** Times a send waited for a full reader queue (POSIX EAGAIN) and tried again. */
  sendRetries: number;
  /** Frames received. */
  framesReceived: number;
  /** Received messages dropped for exceeding frameSize. */
  oversizeDropped: number;
  /** Received batch datagrams dropped whole because they contradict themselves (see `batch` in the options). */
  malformedDropped: number;
  /** Received messages dropped because the kernel named another user as their sender (see allowOtherUsers). */
  foreignDropped: number;
  /** Listeners other than this transport found in the group registry at the last send. */
  listeners: number;
  /** Registry entries of dead listeners this transport removed. */
  swept: number;
  /** Slots the process's one reader loop serves, and its completed waits. */
  readerLoop: { slots: number; waits: number };
}

/** The peer reported for frames whose sender the OS does not name (always on Windows). */
const UNKNOWN_PEER = 'mailslot:unknown';

/**
 * A one-way broadcast transport over Windows mailslots (kernel32 via koffi)
 * or, on POSIX, AF_UNIX datagram sockets (libc via koffi) with the same
 * semantics.
 *
 * - `mailslot://group`: each member owns a slot and registers it; `send`
 *   writes to every live listener of the group except this transport's own
 *   slot (the bus delivers locally itself). Dead listeners are swept.
 * - `\\.\mailslot\name` / `/path/x.sock`: one raw slot; `mode: 'read'`
 *   creates it, `mode: 'write'` writes to it (`NOT_FOUND` when nobody reads).
 * - `\\*\mailslot\name`: Windows domain broadcast, write only, 424-byte frames,
 *   unreliable and unordered (the bus then fragments every message and drops duplicates).
 *
 * @example
 * ```ts
 * const bus = new MessageBus(new MailslotTransport({ address: 'mailslot://orders' }));
 * bus.subscribe('orders.>').subscribe((e) => console.log(e.topic, e.payload));
 * await bus.publish('orders.eu.created', { id: 7 });
 * ```
 */
export class MailslotTransport extends Transport {
  readonly capabilities: TransportCapabilities;
  readonly #o: ResolvedMailslotOptions;
  readonly #clock: Clock;
  /** A fake backend a test injected (see backend/backend-seam.ts); else the platform's, made on start(). */
  readonly #injected: SlotBackend | undefined;
  readonly #counters: FanOutCounters & { framesSent: number; framesReceived: number; oversizeDropped: number; malformedDropped: number; foreignDropped: number; listeners: number } = {
    framesSent: 0, deliveries: 0, sendRetries: 0, framesReceived: 0, oversizeDropped: 0, malformedDropped: 0, foreignDropped: 0, listeners: 0,
  };
  /** This process's uid: datagrams the kernel says came from another are dropped unless allowOtherUsers. */
  readonly #uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  /** Foreign uids already logged (each once; bounded). */
  readonly #loggedUids = new Set<number>();
  #backend: SlotBackend | undefined;
  #registry: GroupRegistry | undefined;
  #entry: string | undefined;
  #reader: SlotReader | undefined;
  #writer: SlotWriter | undefined;
  #fanOut: FanOut | undefined;
  /** Present when this transport batches (see MailslotOptions.batch): every frame goes through it. */
  #batcher: Batcher | undefined;
  #closing = false;

  /** @throws BusError `INVALID_ARGUMENT` (or `NOT_SUPPORTED`) for bad options; nothing is opened before start(). */
  constructor(options: MailslotOptions) {
    super();
    this.#o = resolveMailslotOptions(options);
    this.#clock = optionalClock('MailslotTransport', options.clock);
    this.#injected = injectedBackend(options);
    const domain = this.#o.resolved.kind === 'domain';
    this.capabilities = Object.freeze({
      duplex: false,
      broadcast: true,
      maxFrameSize: this.#o.frameSize,
      // A domain broadcast is a datagram per network protocol across the LAN: it may be lost, reordered, duplicated.
      reliable: !domain,
      ordered: !domain,
    });
  }

  /**
   * The OS path of this transport: its own slot when it reads, the slot or
   * domain name it writes to, or for a write-only group member the registry
   * directory. Group slot names are known only after start().
   */
  get path(): string {
    const r = this.#o.resolved;
    if (this.#reader !== undefined) return this.#reader.path;
    return r.kind === 'group' ? r.registryDir : r.path;
  }

  /** A snapshot of this transport's counters. */
  stats(): MailslotStats {
    const loop = this.#backend === undefined ? { slots: 0, waits: 0 } : ReaderLoop.of(this.#backend).stats();
    return { ...this.#counters, swept: this.#registry?.swept ?? 0, readerLoop: { slots: loop.slots, waits: loop.waits } };
  }

  protected async doStart(): Promise<void> {
    const o = this.#o;
    const r = o.resolved;
    const backend = (this.#backend = this.#injected ?? (await loadPlatformBackend()));
    // close() while the backend loaded: it had nothing to release yet, so open nothing now.
    if (this.#closing) throw this.closedError('start');
    const reads = o.mode !== 'write';
    const writes = o.mode !== 'read';
    try {
      if (r.kind === 'group') {
        const registry = (this.#registry = new GroupRegistry(r, (pid) => backend.isProcessAlive(pid), o.maxListeners, (m) => this.#log('warn', m), this.#clock));
        // Checks the runtime directory and each one below it (ACCESS_DENIED if not private).
        if (reads) {
          const entry = `${process.pid}-${randomBytes(4).toString('hex')}`;
          // The slot exists before anyone can find it in the registry (join opens it, then registers).
          registry.join(entry, () => {
            if (this.#reader === undefined) this.#openReader(backend, r.slotPath(entry));
          });
          this.#entry = entry;
        } else {
          registry.ensureDir();
        }
      } else if (reads) {
        this.#openReader(backend, r.path);
      }
      if (writes) {
        const writer = (this.#writer = backend.createWriter(o.frameSize, this.#clock));
        this.#fanOut = new FanOut(
          writer,
          () => this.#targets(),
          this.#registry,
          this.#counters,
          () => (this.#closing ? this.closedError('send') : undefined),
          o.sendTimeoutMs,
          this.#clock,
        );
        const fanOut = this.#fanOut;
        if (o.batch) this.#batcher = new Batcher((datagram) => fanOut.send(datagram), o.frameSize, r.kind === 'group' ? this.#takeAtOnce(fanOut) : undefined);
      }
    } catch (error) {
      await this.#release();
      throw error;
    }
  }

  protected doSend(frame: Uint8Array): Promise<void> {
    if (this.#fanOut === undefined) {
      return Promise.reject(new BusError('NOT_SUPPORTED', `this mailslot transport was opened with mode 'read' on '${this.#o.resolved.address}'; open another with mode 'write' (or 'both' for a group) to send`));
    }
    this.#counters.framesSent++;
    return this.#batcher !== undefined ? this.#batcher.add(frame) : this.#fanOut.send(frame);
  }

  protected async doClose(): Promise<void> {
    // Frames sent before close() go out, as they did before batching: the open batch is written now.
    this.#batcher?.flush();
    // Windows writes run on the pool: the batch just flushed (and any write in flight) finish before
    // the handles close, for at most sendTimeoutMs. POSIX writes were made in flush(), or wait for a
    // full reader, which close() ends.
    if (this.#writer?.writeBlocking !== undefined) await this.#fanOut?.idle(this.#o.sendTimeoutMs);
    this.#closing = true;
    await this.#release();
  }

  /**
   * A group writer takes frames into the open batch at once while no send
   * waits (see TakeAtOnce): a group send succeeds with no listener and sweeps
   * dead ones, so the only failures left are a full reader past sendTimeoutMs
   * and a registry replaced after start(), which the batch's opening checks.
   * A single slot keeps per-frame outcomes: its NOT_FOUND (nobody reads) is
   * the caller's to see.
   */
  #takeAtOnce(fanOut: FanOut): TakeAtOnce {
    return {
      idle: () => !fanOut.waiting,
      check: () => void this.#registry!.listeners(),
      lost: (error, frames) => {
        const e = BusError.is(error) ? error : new BusError('OS_ERROR', `a mailslot batch send failed: ${String(error)}`, { cause: error });
        this.#log('warn', `${frames} frame(s) already taken into a batch were not delivered: ${e.message}`);
        this.emitError(e);
      },
    };
  }

  #openReader(backend: SlotBackend, path: string): void {
    const reader = (this.#reader = backend.createReader(path, this.#o.frameSize, this.#o.readTimeoutMs, this.#o.allowOtherUsers));
    ReaderLoop.of(backend).add(reader, {
      deliver: (d) => this.#onDatagram(d),
      oversize: (size) => {
        this.#counters.oversizeDropped++;
        this.#log('warn', `dropped a ${size}-byte message above frameSize ${this.#o.frameSize} on ${path}`);
      },
      fail: (error) => {
        this.#log('warn', `reading ${path} failed: ${error.message}`);
        this.emitError(error);
      },
    }, this.#o.readTimeoutMs, this.#clock);
  }

  #onDatagram({ data, sender }: Datagram): void {
    if (sender?.uid !== undefined && sender.uid !== this.#uid && !this.#o.allowOtherUsers) {
      this.#counters.foreignDropped++;
      if (!this.#loggedUids.has(sender.uid) && this.#loggedUids.size < 64) {
        this.#loggedUids.add(sender.uid);
        this.#log('warn', `dropped a message from uid ${sender.uid} (pid ${sender.pid ?? '?'}) on ${this.path}: only this user (uid ${this.#uid}) may send here unless the transport is opened with allowOtherUsers: true`);
      }
      return;
    }
    const peer: PeerInfo = sender === undefined
      ? { id: UNKNOWN_PEER, address: this.#o.resolved.address }
      : {
          id: sender.id,
          ...(sender.pid !== undefined && { pid: sender.pid }),
          ...(sender.uid !== undefined && { uid: sender.uid }),
          ...(sender.gid !== undefined && { gid: sender.gid }),
          address: this.#o.resolved.address,
        };
    // A raw reader takes every datagram as it is: its writers are native programs, which never batch.
    if (!this.#o.raw && isBatch(data)) {
      const why = unpackBatch(data, (frame) => {
        this.#counters.framesReceived++;
        this.emitFrame({ data: frame, peer });
      });
      if (why !== undefined) {
        this.#counters.malformedDropped++;
        this.#log('warn', `dropped a ${data.length}-byte batch datagram from ${peer.id} on ${this.path}: ${why}`);
      }
      return;
    }
    this.#counters.framesReceived++;
    this.emitFrame({ data, peer });
  }

  #targets(): readonly Target[] {
    const r = this.#o.resolved;
    if (r.kind !== 'group') return [{ path: r.path }];
    const others = this.#registry!.listeners().filter((l) => l.entry !== this.#entry);
    this.#counters.listeners = others.length;
    return others;
  }

  async #release(): Promise<void> {
    if (this.#entry !== undefined) this.#registry?.unregister(this.#entry);
    // A write-only member has no entry, but may be the last to leave a directory it made.
    else this.#registry?.removeDirIfEmpty();
    this.#entry = undefined;
    const writer = this.#writer;
    this.#writer = undefined;
    // Ends a send waiting for a full reader (it then rejects with the closed error) and closes the writer's sockets.
    await writer?.close();
    const reader = this.#reader;
    if (reader !== undefined && this.#backend !== undefined) await ReaderLoop.of(this.#backend).remove(reader);
  }

  #log(level: keyof Logger, message: string): void {
    this.#o.logger?.[level](message, { address: this.#o.resolved.address });
  }
}
