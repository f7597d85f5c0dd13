import { lstatSync, opendirSync, rmdirSync, unlinkSync, type Dir } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import { BusError, systemClock, type Clock } from '@pipebus/core';
import type { ResolvedGroupAddress } from '../address/resolve-address.js';
import { whileBusy } from './while-busy.js';
import { checkPrivateDir, ensurePrivateDir, ensurePrivateSubdir, recheckDir, type CheckedDir } from '@pipebus/os';
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
/**
 * Joins tried before giving up when, each time, the group's last member left
 * (removing the empty directory) between our mkdir and our first file in it.
 */
const MAX_JOIN_ATTEMPTS = 5;
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
 *
 * Lifetime: the last member to leave (or the sweep that removes the last dead
 * one) removes the directory with rmdir(), which the kernel refuses unless it
 * is empty, so a member that already has a file in it keeps it. A joiner
 * makes the directory, then its first file in it (the slot socket on POSIX,
 * the marker on Windows); if a leaver's rmdir() falls in between, that file
 * fails and {@link GroupRegistry.join} makes the directory again. Members
 * that started before adopt such a re-made directory (see `#adopt`).
 */
export class GroupRegistry {
  #listing: Listener[] = [];
  #mtimeNs = -1n;
  #settled = false;
  #listedAt = 0;
  #swept = 0;
  #checked: CheckedDir | undefined;
  #root: CheckedDir | undefined;
  #parent: CheckedDir | undefined;
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
    const root = (this.#root = ensurePrivateDir(p.dirname(mailslotDir)));
    const parent = (this.#parent = ensurePrivateSubdir(root, p.basename(mailslotDir)));
    this.#checked = ensurePrivateSubdir(parent, this.address.group);
  }

  /**
   * Makes the directory, opens this member's slot (`openSlot`, which must be
   * safe to call again once it succeeded) and registers `entry`. When a step
   * fails because the group's last member removed the then-empty directory
   * meanwhile, starts over with a new directory instead of failing the join.
   * @throws BusError what {@link ensureDir}, `openSlot` or the marker threw, when the directory is still there (a real failure).
   */
  join(entry: string, openSlot: () => void): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.ensureDir();
        openSlot();
        this.register(entry);
        return;
      } catch (error) {
        if (attempt >= MAX_JOIN_ATTEMPTS || lstatSync(this.address.registryDir, { throwIfNoEntry: false }) !== undefined) throw error;
      }
    }
  }

  /**
   * Removes the group's directory if it is empty, i.e. no member is left:
   * rmdir() itself refuses a directory that is not, so a member joining at
   * the same moment either already has a file in it (and keeps it) or finds
   * it gone and makes it again ({@link join}). A directory that is not the
   * one checked at start() (or adopted since) is left alone.
   */
  removeDirIfEmpty(): void {
    try {
      this.#dir();
      rmdirSync(this.address.registryDir);
    } catch {
      // ENOTEMPTY (members remain), ENOENT (removed already), or not ours: nothing to do.
    }
  }

  /** Announces a listener whose slot already exists. */
  register(entry: string): void {
    this.#dir();
    writeMarker(join(this.address.registryDir, entry + MARKER), this.address.slotPath(entry));
  }

  /** Withdraws a listener before its slot closes; the directory goes with the last one. */
  unregister(entry: string): void {
    this.#remove(entry);
    this.removeDirIfEmpty();
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
    const swept = this.#swept;
    const listing = this.#read(dir);
    // Every entry found was a dead one: the group may be empty now.
    if (listing.length === 0 && this.#swept !== swept) this.removeDirIfEmpty();
    // Swapped while it was being read? Then what was read may be someone else's: believe none of it.
    this.#dir();
    this.#listing = listing;
    this.#mtimeNs = mtimeNs;
    this.#listedAt = now;
    // Against the directory's mtime, which the kernel stamps in wall-clock time: Date.now(), not the clock.
    this.#settled = Date.now() - Number(mtimeNs / 1_000_000n) > SETTLE_MS;
    return listing;
  }

  /** Removes a dead listener's entry (and, on POSIX, its socket file); the directory goes with the last one. */
  sweep(entry: string): void {
    this.#sweepEntry(entry);
    this.removeDirIfEmpty();
  }

  #sweepEntry(entry: string): void {
    if (this.#remove(entry)) this.#swept++;
    this.#listing = this.#listing.filter((l) => l.entry !== entry);
  }

  /** One readdir, bounded: at most 2 × maxListeners + 64 names looked at (a marker and a socket per listener). */
  #read(dir: string): Listener[] {
    let handle: Dir;
    try {
      handle = whileBusy(() => opendirSync(dir, { bufferSize: 256 }));
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
          // Not sweep(): the directory is being read; listeners() removes it afterwards if it is empty.
          this.#sweepEntry(entry);
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
    const checked = this.#checked;
    if (checked === undefined) return;
    try {
      recheckDir(checked);
    } catch (error) {
      if (!this.#adopt(checked)) throw error;
    }
  }

  #verify(st: { dev: bigint; ino: bigint; isSymbolicLink(): boolean }): void {
    const checked = this.#checked;
    if (checked !== undefined && (st.isSymbolicLink() || st.dev !== checked.dev || st.ino !== checked.ino)) this.#dir();
  }

  /**
   * The group's directory is another one than the one checked: adopts it when
   * it is what a member re-making the group leaves (the last member removed
   * the old one, see {@link removeDirIfEmpty}): a real directory, not a
   * symlink, private and this user's, inside the very runtime and `mailslot/`
   * directories checked at start(). Only this user can create anything there
   * (0700), so such a directory is as trustworthy as the one start() found.
   * Anything else stays "replaced" (false): the caller throws ACCESS_DENIED.
   * @throws BusError `ACCESS_DENIED` when a parent directory was replaced.
   */
  #adopt(checked: CheckedDir): boolean {
    const st = lstatSync(checked.path, { bigint: true, throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory() || (st.dev === checked.dev && st.ino === checked.ino)) return false;
    if (this.#root === undefined || this.#parent === undefined || recheckDir(this.#root) === undefined || recheckDir(this.#parent) === undefined) return false;
    this.#checked = checkPrivateDir(checked.path);
    return true;
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
