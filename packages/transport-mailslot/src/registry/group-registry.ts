import { mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BusError } from '@pipebus/core';
import type { ResolvedGroupAddress } from '../address/resolve-address.js';

/** One member of a group that reads its own slot. */
export interface Listener {
  /** `<pid>-<random>`: the entry's name, also the last part of its slot path. */
  readonly entry: string;
  readonly pid: number;
  /** The slot to write to. */
  readonly path: string;
}

const MARKER = '.listener';
const ENTRY_RE = /^(\d+)-([0-9a-f]+)\.listener$/;
/**
 * Directory timestamps are coarse (a kernel tick): a listing taken within this
 * many ms of the directory's last change is not trusted to be complete.
 */
const SETTLE_MS = 50;
/**
 * A listing is re-read (and its pids checked) at least this often even when
 * the directory did not change: a SIGKILLed listener leaves its entry behind,
 * and on Windows (Wine) writes to its orphaned slot would not fail.
 */
const MAX_AGE_MS = 1000;

/**
 * The registry of a `mailslot://group`: a directory with one marker file per
 * live listener, `<pid>-<random>.listener`. A listener writes its marker after
 * its slot exists and removes it before closing the slot, so a marker always
 * names a slot that exists or whose owner died; writers sweep the latter.
 *
 * Listings are cached and re-read only when the directory changed, so a send
 * costs one stat() rather than a readdir().
 */
export class GroupRegistry {
  #listing: Listener[] = [];
  #mtimeNs = -1n;
  #settled = false;
  #listedAt = 0;
  #swept = 0;

  constructor(
    readonly address: ResolvedGroupAddress,
    private readonly isAlive: (pid: number) => boolean,
  ) {}

  /** Entries swept by this registry object since it was made. */
  get swept(): number {
    return this.#swept;
  }

  /** Creates the group's directory (inside the private runtime dir). */
  ensureDir(): void {
    mkdirSync(this.address.registryDir, { recursive: true, mode: 0o700 });
  }

  /** Announces a listener whose slot already exists. */
  register(entry: string): void {
    writeFileSync(join(this.address.registryDir, entry + MARKER), `${this.address.slotPath(entry)}\n`, { mode: 0o600 });
  }

  /** Withdraws a listener before its slot closes. */
  unregister(entry: string): void {
    this.#remove(entry);
  }

  /** Live listeners, sweeping entries of processes that are gone. */
  listeners(): readonly Listener[] {
    const dir = this.address.registryDir;
    let mtimeNs: bigint;
    try {
      mtimeNs = statSync(dir, { bigint: true }).mtimeNs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw registryError('stat', dir, error);
    }
    const now = Date.now();
    if (this.#settled && mtimeNs === this.#mtimeNs && now - this.#listedAt < MAX_AGE_MS) return this.#listing;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      throw registryError('readdir', dir, error);
    }
    const listing: Listener[] = [];
    for (const name of names) {
      const m = ENTRY_RE.exec(name);
      if (m === null) continue;
      const entry = name.slice(0, -MARKER.length);
      const pid = Number(m[1]);
      if (!this.isAlive(pid)) {
        this.sweep(entry);
        continue;
      }
      listing.push({ entry, pid, path: this.address.slotPath(entry) });
    }
    this.#listing = listing;
    this.#mtimeNs = mtimeNs;
    this.#listedAt = now;
    this.#settled = now - Number(mtimeNs / 1_000_000n) > SETTLE_MS;
    return listing;
  }

  /** Removes a dead listener's entry (and, on POSIX, its socket file). */
  sweep(entry: string): void {
    if (this.#remove(entry)) this.#swept++;
    this.#listing = this.#listing.filter((l) => l.entry !== entry);
  }

  #remove(entry: string): boolean {
    let removed = false;
    try {
      unlinkSync(join(this.address.registryDir, entry + MARKER));
      removed = true;
    } catch {
      // Someone else swept it first.
    }
    if (this.address.platform !== 'win32') {
      try {
        unlinkSync(this.address.slotPath(entry));
      } catch {
        // The owner unlinked it on close, or it never existed.
      }
    }
    return removed;
  }
}

function registryError(call: string, dir: string, error: unknown): BusError {
  const e = error as NodeJS.ErrnoException;
  return new BusError(e.code === 'EACCES' ? 'ACCESS_DENIED' : 'OS_ERROR', `${call} of the mailslot group registry ${dir} failed: ${e.message}`, {
    cause: error,
    ...(e.code !== undefined && { osName: e.code }),
    ...(typeof e.errno === 'number' && { osCode: Math.abs(e.errno) }),
  });
}
