import { lstatSync, opendirSync, unlinkSync, type Dir } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import { BusError, systemClock, type Clock } from '@pipebus/core';
import type { ResolvedGroupAddress } from '../address/resolve-address.js';
import { ensurePrivateDir, ensurePrivateSubdir, recheckDir, type CheckedDir } from '@pipebus/os';
import { readMarker, writeMarker } from './marker-file.js';

/** One member of a group that reads its own slot. */
export interface Listener {
  /** `<pid>-<random>`: the entry's name, also the last part of its slot path. */
  readonly entry: string;
  readonly pid: number;
  /** The slot to write to. */
  readonly path: string;
}

/** Default of `maxListeners`: markers read per listing. */
export const DEFAULT_MAX_LISTENERS = 4096;

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
/** Distinct ignored markers remembered so each is logged once; past it, no more are logged. */
const MAX_LOGGED = 1024;

/**
 * The registry of a `mailslot://group`: a directory with one marker file per
 * live listener, `<pid>-<random>.listener`, holding the listener's slot path.
 * A listener writes its marker after its slot exists and removes it before
 * closing the slot, so a marker always names a slot that exists or whose
 * owner died; writers sweep the latter.
 *
 * Trust: the directory and every one above it up to the runtime directory is
 * checked at start (lstat: this user's, mode 0700, not a symlink), and the
 * registry directory again (lstat, same dev/ino) before every listing, every
 * send and every removal, so a directory swapped after start() stops sends
 * (ACCESS_DENIED) instead of redirecting them. Markers are opened with
 * O_NOFOLLOW and believed only if they are regular files of this user naming
 * exactly the slot their name implies (which lies inside the directory).
 *
 * Listings are cached and re-read only when the directory changed, so a send
 * costs one lstat() rather than a readdir().
 */
export class GroupRegistry {
  #listing: Listener[] = [];
  #mtimeNs = -1n;
  #settled = false;
  #listedAt = 0;
  #swept = 0;
  #checked: CheckedDir | undefined;
  readonly #logged = new Set<string>();

  /**
   * @param maxListeners - markers read per listing; more are left out of that listing (and logged).
   * @param warn - where ignored markers and a cut listing are reported, each once.
   * @param clock - the transport's clock: a listing's age ({@link MAX_AGE_MS}) is measured on it.
   */
  constructor(
    readonly address: ResolvedGroupAddress,
    private readonly isAlive: (pid: number) => boolean,
    private readonly maxListeners = DEFAULT_MAX_LISTENERS,
    private readonly warn: (message: string) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {}

  /** Entries swept by this registry object since it was made. */
  get swept(): number {
    return this.#swept;
  }

  /**
   * Creates (or checks) `<runtimeDir>/mailslot/<group>`, checking each of the
   * three directories: this user's, private, not a symlink.
   * @throws BusError `ACCESS_DENIED` naming the directory and what to change.
   */
  ensureDir(): void {
    const p = this.address.platform === 'win32' ? win32 : posix;
    const mailslotDir = p.dirname(this.address.registryDir);
    const root = ensurePrivateDir(p.dirname(mailslotDir));
    this.#checked = ensurePrivateSubdir(ensurePrivateSubdir(root, p.basename(mailslotDir)), this.address.group);
  }

  /** Announces a listener whose slot already exists. */
  register(entry: string): void {
    this.#dir();
    writeMarker(join(this.address.registryDir, entry + MARKER), this.address.slotPath(entry));
  }

  /** Withdraws a listener before its slot closes. */
  unregister(entry: string): void {
    this.#remove(entry);
  }

  /**
   * Live listeners, sweeping entries of processes that are gone.
   * @throws BusError `ACCESS_DENIED` when the directory was replaced since start().
   */
  listeners(): readonly Listener[] {
    const dir = this.address.registryDir;
    let mtimeNs: bigint;
    try {
      const st = lstatSync(dir, { bigint: true, throwIfNoEntry: false });
      if (st === undefined) return [];
      this.#verify(st);
      mtimeNs = st.mtimeNs;
    } catch (error) {
      throw registryError('lstat', dir, error);
    }
    const now = this.clock.now();
    if (this.#settled && mtimeNs === this.#mtimeNs && now - this.#listedAt < MAX_AGE_MS) return this.#listing;
    const listing = this.#read(dir);
    // Swapped while it was being read? Then what was read may be someone else's: believe none of it.
    this.#dir();
    this.#listing = listing;
    this.#mtimeNs = mtimeNs;
    this.#listedAt = now;
    // Against the directory's mtime, which the kernel stamps in wall-clock time: Date.now(), not the clock.
    this.#settled = Date.now() - Number(mtimeNs / 1_000_000n) > SETTLE_MS;
    return listing;
  }

  /** Removes a dead listener's entry (and, on POSIX, its socket file). */
  sweep(entry: string): void {
    if (this.#remove(entry)) this.#swept++;
    this.#listing = this.#listing.filter((l) => l.entry !== entry);
  }

  /** One readdir, bounded: at most 2 × maxListeners + 64 names looked at (a marker and a socket per listener). */
  #read(dir: string): Listener[] {
    let handle: Dir;
    try {
      handle = opendirSync(dir, { bufferSize: 256 });
    } catch (error) {
      throw registryError('opendir', dir, error);
    }
    const listing: Listener[] = [];
    const maxNames = 2 * this.maxListeners + 64;
    let names = 0;
    let cut = false;
    try {
      for (let d = handle.readSync(); d !== null; d = handle.readSync()) {
        if (++names > maxNames || listing.length >= this.maxListeners) {
          cut = true;
          break;
        }
        const m = ENTRY_RE.exec(d.name);
        if (m === null) continue;
        const entry = d.name.slice(0, -MARKER.length);
        const pid = Number(m[1]);
        if (!this.isAlive(pid)) {
          this.sweep(entry);
          continue;
        }
        const path = this.address.slotPath(entry);
        const marker = readMarker(join(dir, d.name));
        if (marker === undefined) continue;
        if ('rejected' in marker || marker.path !== path) {
          this.#warnOnce(d.name, `ignored the mailslot registry marker ${join(dir, d.name)}: ${'rejected' in marker ? marker.rejected : `it names '${marker.path}', not its own slot '${path}'`}; nothing is sent to it (remove it if it is not yours)`);
          continue;
        }
        listing.push({ entry, pid, path });
      }
    } finally {
      handle.closeSync();
    }
    if (cut) {
      this.#warnOnce('#cut', `the mailslot group ${this.address.group} has more than ${this.maxListeners} listeners (or ${maxNames} directory entries): sends reach the first ${listing.length} found; raise options.maxListeners if that many are meant`);
    }
    return listing;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#logged.has(key) || this.#logged.size >= MAX_LOGGED) return;
    this.#logged.add(key);
    this.warn(message);
  }

  /** The directory, re-checked (lstat, same dev/ino); throws ACCESS_DENIED when it was replaced. */
  #dir(): void {
    if (this.#checked !== undefined) recheckDir(this.#checked);
  }

  #verify(st: { dev: bigint; ino: bigint; isSymbolicLink(): boolean }): void {
    const checked = this.#checked;
    if (checked !== undefined && (st.isSymbolicLink() || st.dev !== checked.dev || st.ino !== checked.ino)) recheckDir(checked);
  }

  #remove(entry: string): boolean {
    try {
      this.#dir();
    } catch {
      // A replaced directory is not ours to clean up.
      return false;
    }
    let removed = false;
    try {
      unlinkSync(join(this.address.registryDir, entry + MARKER));
      removed = true;
    } catch {
      // Someone else swept it first.
    }
    if (this.address.platform !== 'win32') {
      const slot = this.address.slotPath(entry);
      // Only a socket is removed: whatever else sits at that name is left where it is.
      if (lstatSync(slot, { throwIfNoEntry: false })?.isSocket() === true) {
        try {
          unlinkSync(slot);
        } catch {
          // The owner unlinked it on close meanwhile.
        }
      }
    }
    return removed;
  }
}

function registryError(call: string, dir: string, error: unknown): BusError {
  if (BusError.is(error)) return error;
  const e = error as NodeJS.ErrnoException;
  return new BusError(e.code === 'EACCES' ? 'ACCESS_DENIED' : 'OS_ERROR', `${call} of the mailslot group registry ${dir} failed: ${e.message}`, {
    cause: error,
    ...(e.code !== undefined && { osName: e.code }),
    ...(typeof e.errno === 'number' && { osCode: Math.abs(e.errno) }),
  });
}
