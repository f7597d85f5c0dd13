import { posix, win32 } from 'node:path';
import { BusError } from '@pipebus/core';
import { describeValue, invalidArgument } from '@pipebus/core/transport-kit';
import { defaultRuntimeDir, optionalDir } from '@pipebus/os';

/** A local pub/sub group: every member owns a slot and registers it in the group's registry directory. */
export interface ResolvedGroupAddress {
  readonly kind: 'group';
  readonly address: string;
  readonly platform: NodeJS.Platform;
  /** The group name after `mailslot://`, e.g. `orders`. */
  readonly group: string;
  /** The directory with one entry per live listener. */
  readonly registryDir: string;
  /** Slot path of the member with entry name `entry` (`<pid>-<random>`). */
  slotPath(entry: string): string;
}

/** One raw OS slot: `\\.\mailslot\name` on Windows, a socket path on POSIX. */
export interface ResolvedSlotAddress {
  readonly kind: 'slot';
  readonly address: string;
  readonly platform: NodeJS.Platform;
  /** What the OS opens: the mailslot name or the socket path. */
  readonly path: string;
}

/** A Windows domain broadcast (`\\*\mailslot\name`, `\\domain\mailslot\name`): write only, 424-byte datagrams. */
export interface ResolvedDomainAddress {
  readonly kind: 'domain';
  readonly address: string;
  readonly platform: NodeJS.Platform;
  readonly path: string;
  /** `*` for the primary domain, else the domain or machine name. */
  readonly target: string;
}

/** What {@link resolveMailslotAddress} returns. */
export type ResolvedMailslotAddress = ResolvedGroupAddress | ResolvedSlotAddress | ResolvedDomainAddress;

const GROUP_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const SLOT_NAME_RE = /^[^\\/:*?"<>|\x00-\x1f]+(\\[^\\/:*?"<>|\x00-\x1f]+)*$/;
/** sun_path holds 108 bytes on Linux (104 on macOS) including the NUL. */
const MAX_SOCKET_PATH = 103;
/** Longest `<pid>-<random>.sock` entry name a group member uses. */
const ENTRY_NAME_RESERVE = 24;

/**
 * Turns a mailslot address into what the platform opens.
 *
 * - `mailslot://group` — a local pub/sub group. On Windows each member's slot is
 *   `\\.\mailslot\pipebus\<group>\<pid>-<random>`; on POSIX a socket
 *   `<runtimeDir>/mailslot/<group>/<pid>-<random>.sock`. The registry directory is
 *   `<runtimeDir>/mailslot/<group>` on both.
 * - `\\.\mailslot\name` (Windows) or an absolute socket path (POSIX) — one raw slot.
 * - `\\*\mailslot\name`, `\\domain\mailslot\name` — Windows domain broadcast, write only.
 *
 * @example
 * ```ts
 * resolveMailslotAddress('mailslot://orders', { platform: 'linux', runtimeDir: '/run/user/1000/pipebus' }).registryDir
 * // '/run/user/1000/pipebus/mailslot/orders'
 * ```
 * @throws BusError `INVALID_ARGUMENT` for a malformed address, `NOT_SUPPORTED` for
 * a Windows name on POSIX or a socket path on Windows.
 */
export function resolveMailslotAddress(
  address: string,
  options: { platform?: NodeJS.Platform; runtimeDir?: string } = {},
): ResolvedMailslotAddress {
  if (typeof address !== 'string' || address.length === 0) {
    throw invalidArgument(`a mailslot address must be a non-empty string such as 'mailslot://orders', got ${describeValue(address)}`);
  }
  if (options === null || typeof options !== 'object') throw invalidArgument('resolveMailslotAddress options must be an object');
  const platform = options.platform ?? process.platform;
  if (typeof platform !== 'string') throw invalidArgument(`options.platform must be a NodeJS.Platform string, got ${describeValue(platform)}`);
  // A relative directory would be another one in every working directory: two processes of a group would never meet.
  optionalDir('MailslotTransport', 'runtimeDir', options.runtimeDir, platform);
  const windows = platform === 'win32';
  // Paths follow the target platform, not the one running this (tests resolve both anywhere).
  const join = windows ? win32.join : posix.join;

  if (address.startsWith('mailslot://')) {
    const group = address.slice('mailslot://'.length);
    if (group.length === 0 || group.length > 100 || !GROUP_RE.test(group)) {
      throw invalidArgument(`mailslot group ${JSON.stringify(group)} in '${address}' must be 1-100 characters of letters, digits, '_', '-' in dot-separated tokens, e.g. 'mailslot://orders'`);
    }
    const registryDir = join(options.runtimeDir ?? defaultRuntimeDir(platform), 'mailslot', group);
    if (!windows && Buffer.byteLength(registryDir) + 1 + ENTRY_NAME_RESERVE > MAX_SOCKET_PATH) {
      throw invalidArgument(`the socket paths of group '${group}' under ${registryDir} would exceed the ${MAX_SOCKET_PATH}-byte limit of a unix socket path; use a shorter group name or options.runtimeDir`);
    }
    const slotPath = windows
      ? (entry: string) => `\\\\.\\mailslot\\pipebus\\${group}\\${entry}`
      : (entry: string) => join(registryDir, `${entry}.sock`);
    return { kind: 'group', address, platform, group, registryDir, slotPath };
  }

  const win = /^\\\\([^\\]+)\\mailslot\\(.+)$/i.exec(address);
  if (win !== null) {
    const [, host, name] = win as unknown as [string, string, string];
    if (!SLOT_NAME_RE.test(name)) {
      throw invalidArgument(`mailslot name ${JSON.stringify(name)} in '${address}' has an empty segment or a character Windows does not allow (\\ / : * ? " < > |)`);
    }
    if (!windows) {
      throw new BusError('NOT_SUPPORTED', `'${address}' is a Windows mailslot name; on ${platform} use 'mailslot://group' or an absolute socket path`);
    }
    if (host === '.') return { kind: 'slot', address, platform, path: address };
    return { kind: 'domain', address, platform, path: address, target: host };
  }

  if (address.startsWith('/')) {
    if (windows) throw new BusError('NOT_SUPPORTED', `'${address}' is a POSIX socket path; on Windows use '\\\\.\\mailslot\\name' or 'mailslot://group'`);
    if (Buffer.byteLength(address) > MAX_SOCKET_PATH || address.includes('\0')) {
      throw invalidArgument(`socket path '${address}' must be at most ${MAX_SOCKET_PATH} bytes without NUL characters`);
    }
    return { kind: 'slot', address, platform, path: address };
  }

  throw invalidArgument(
    `unrecognised mailslot address '${address}': use 'mailslot://group', '\\\\.\\mailslot\\name', '\\\\*\\mailslot\\name' (Windows) or an absolute socket path (POSIX)`,
  );
}
