import { lstatSync, opendirSync, type Dir } from 'node:fs';
import { join } from 'node:path';
import { BusError } from '@pipebus/core';
import { invalidArgument } from '@pipebus/core/transport-kit';
import { resolveMailslotAddress } from '../address/resolve-address.js';
import { DEFAULT_MAX_LISTENERS, GroupRegistry } from './group-registry.js';
import { readMarker } from './marker-file.js';
import { isProcessAlive } from './process-alive.js';

/** A live member of a mailslot group, as its registry marker describes it. */
export interface MailslotGroupMember {
  /** `<pid>-<random>`: the member's registry entry. */
  readonly entry: string;
  readonly pid: number;
  /** Owner of the marker (POSIX); undefined on Windows. */
  readonly uid: number | undefined;
  /** The slot the group's writers send to. */
  readonly slot: string;
  /** When the member registered (the marker's modification time). */
  readonly since: Date;
}

/** A registry entry that was not believed, left where it is for a person to look at. */
export interface MailslotGroupIgnored {
  /** The file's name inside the group directory. */
  readonly name: string;
  /** Why: a symlink or other non-regular file, another user's, too large, unreadable, naming another slot, or not a pipebus entry at all. */
  readonly reason: string;
}

/** What {@link inspectMailslotGroup} found (and swept) in a group's registry directory. */
export interface MailslotGroupReport {
  readonly address: string;
  readonly group: string;
  readonly registryDir: string;
  /** False when the directory does not exist: no member has joined, or the last one left. */
  readonly found: boolean;
  readonly members: readonly MailslotGroupMember[];
  /** Entries of processes that are gone; removed (marker and POSIX socket) when `sweep` was true. */
  readonly dead: ReadonlyArray<{ readonly entry: string; readonly pid: number }>;
  readonly swept: boolean;
  readonly ignored: readonly MailslotGroupIgnored[];
  /** True when this call removed the group directory (it became empty). */
  readonly dirRemoved: boolean;
  /** True when the directory held more names than one survey reads (the listing is cut). */
  readonly truncated: boolean;
}

/** Options of {@link inspectMailslotGroup}. */
export interface InspectMailslotGroupOptions {
  /** The transports' `runtimeDir`, if they were given one (absolute). */
  readonly runtimeDir?: string;
  /** Remove dead members' entries, and the directory if it becomes empty (default true). */
  readonly sweep?: boolean;
}

const NAME_RE = /^(\d+)-([0-9a-f]+)\.(listener|sock)$/;
/** Names looked at per survey: a marker and a socket per listener at the default bound, and some room. */
const MAX_NAMES = 2 * DEFAULT_MAX_LISTENERS + 64;

/**
 * Lists the live members of a `mailslot://group` and sweeps the dead ones, as
 * `pipebus doctor mailslot://GROUP` shows them. Nothing is created: a group
 * without a directory is reported as not `found`.
 *
 * The same safety rules as the transport: the runtime directory, its
 * `mailslot/` and the group directory must each be this user's, mode 0700
 * and not a symlink (`ACCESS_DENIED` otherwise, and nothing is read or
 * removed); markers are opened with `O_NOFOLLOW` and believed only if they
 * are this user's regular files naming their own slot. Only entries of dead
 * processes whose marker was believed (or a lone socket of one) are removed,
 * both inside the group directory; anything else is reported in `ignored`
 * and left alone.
 * @throws BusError `INVALID_ARGUMENT` for an address that is not `mailslot://group`;
 *   `ACCESS_DENIED` for a directory the transports would refuse.
 */
export function inspectMailslotGroup(address: string, options: InspectMailslotGroupOptions = {}): MailslotGroupReport {
  const resolved = resolveMailslotAddress(address, options.runtimeDir === undefined ? {} : { runtimeDir: options.runtimeDir });
  if (resolved.kind !== 'group') throw invalidArgument(`inspectMailslotGroup needs a group address such as 'mailslot://orders', got '${address}' (a single slot has no registry)`);
  const sweep = options.sweep ?? true;
  const dir = resolved.registryDir;
  const base = { address, group: resolved.group, registryDir: dir };
  // lstat: a symlink at the group's name exists (and is refused by the checks below).
  if (lstatSync(dir, { throwIfNoEntry: false }) === undefined) {
    return { ...base, found: false, members: [], dead: [], swept: sweep, ignored: [], dirRemoved: false, truncated: false };
  }
  const registry = new GroupRegistry(resolved, isProcessAlive);
  // The transport's own checks, every level from the runtime directory down (they exist, so nothing is made).
  registry.ensureDir();

  const members: MailslotGroupMember[] = [];
  const dead: Array<{ entry: string; pid: number }> = [];
  const ignored: MailslotGroupIgnored[] = [];
  const sockets = new Map<string, number>();
  let truncated = false;
  let handle: Dir;
  try {
    handle = opendirSync(dir, { bufferSize: 256 });
  } catch (error) {
    throw new BusError('OS_ERROR', `cannot read the mailslot group registry ${dir}: ${(error as Error).message}`, { cause: error });
  }
  try {
    let names = 0;
    for (let d = handle.readSync(); d !== null; d = handle.readSync()) {
      if (++names > MAX_NAMES) {
        truncated = true;
        break;
      }
      const m = NAME_RE.exec(d.name);
      if (m === null) {
        ignored.push({ name: d.name, reason: 'not a pipebus registry entry' });
        continue;
      }
      const entry = `${m[1]}-${m[2]}`;
      const pid = Number(m[1]);
      // A socket is judged with its marker; alone (its member died before registering) it is judged below.
      if (m[3] === 'sock') {
        sockets.set(entry, pid);
        continue;
      }
      const marker = readMarker(join(dir, d.name));
      if (marker === undefined) continue; // its member left meanwhile
      const slot = resolved.slotPath(entry);
      if ('rejected' in marker || marker.path !== slot) {
        ignored.push({ name: d.name, reason: 'rejected' in marker ? marker.rejected : `names '${marker.path}', not its own slot` });
        continue;
      }
      if (isProcessAlive(pid)) members.push({ entry, pid, uid: marker.uid, slot, since: marker.writtenAt });
      else dead.push({ entry, pid });
    }
  } finally {
    handle.closeSync();
  }
  const marked = new Set([...members, ...dead].map((x) => x.entry).concat(ignored.map((i) => i.name.replace(/\.listener$/, ''))));
  for (const [entry, pid] of sockets) {
    if (marked.has(entry)) continue;
    if (isProcessAlive(pid)) ignored.push({ name: `${entry}.sock`, reason: 'a slot without a marker (its member may be joining)' });
    else dead.push({ entry, pid });
  }
  // sweep() re-checks the directory (same device and inode as checked) before each removal, removes
  // only the marker and a socket (lstat: never what a symlink points to), then the directory if empty.
  if (sweep) for (const { entry } of dead) registry.sweep(entry);
  const dirRemoved = sweep && dead.length > 0 && lstatSync(dir, { throwIfNoEntry: false }) === undefined;
  members.sort((a, b) => a.since.getTime() - b.since.getTime());
  return { ...base, found: true, members, dead, swept: sweep, ignored, dirRemoved, truncated };
}
