import nodePath from 'node:path';
import { describeValue, invalidArgument } from '@pipebus/core/transport-kit';
import { defaultRuntimeDir, isAbsoluteDir } from '@pipebus/os';

// Socket paths are POSIX paths whatever platform resolves them (tests resolve for Linux on Windows).
const path = nodePath.posix;

// The runtime-directory rules (and this default) are shared with the mailslot transport.
export { defaultRuntimeDir };

/** Where an address leads on this platform. */
export interface ResolvedPipeAddress {
  /** What `node:net` and the OS open: `\\.\pipe\pipebus-orders` or `/run/user/1000/pipebus/pipebus-orders.sock`. */
  readonly path: string;
  readonly kind: 'win32-pipe' | 'unix-socket';
  /** The name as given: `orders` for `pipe://orders`, `mypipe` for `\\.\pipe\mypipe`, the file name of a socket path. */
  readonly name: string;
}

/** Windows limits a pipe name (after `\\.\pipe\`) to 256 characters. */
const MAX_WIN32_PIPE_NAME = 256;
/** `sun_path` holds 108 bytes on Linux, 104 on macOS, NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;
const WIN32_PREFIX = /^\\\\\.\\pipe\\/i;
const LOGICAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Maps an address to the endpoint the OS opens.
 *
 * - `pipe://orders` → `\\.\pipe\pipebus-orders` on Windows; `<runtimeDir>/pipebus-orders.sock` on POSIX.
 * - `\\.\pipe\mypipe` → itself on Windows (for native programs); `<runtimeDir>/mypipe.sock` on POSIX,
 *   so `pipe://orders` and `\\.\pipe\pipebus-orders` name the same endpoint everywhere.
 * - `/path/to.sock` (absolute) → itself, POSIX only.
 *
 * @example
 * ```ts
 * resolvePipeAddress('pipe://orders', { platform: 'win32' }).path // '\\\\.\\pipe\\pipebus-orders'
 * ```
 */
export function resolvePipeAddress(
  address: string,
  options: { platform?: NodeJS.Platform; runtimeDir?: string } = {},
): ResolvedPipeAddress {
  if (typeof address !== 'string' || address.length === 0) {
    throw invalidArgument(`a pipe address must be a non-empty string such as 'pipe://orders', '\\\\.\\pipe\\orders' or '/run/orders.sock'; got ${describeValue(address)}`);
  }
  if (options === null || typeof options !== 'object') throw invalidArgument(`resolvePipeAddress() options must be an object, got ${describeValue(options)}`);
  const platform = options.platform ?? process.platform;
  const win32 = platform === 'win32';
  const runtimeDir = options.runtimeDir;
  // Absolute by the rules of the platform resolved for: 'C:\\run' is absolute on Windows (where a
  // pipe lives in the kernel's namespace and the directory is unused), not on POSIX.
  if (runtimeDir !== undefined && (typeof runtimeDir !== 'string' || !isAbsoluteDir(runtimeDir, platform))) {
    throw invalidArgument(`runtimeDir must be an absolute directory path, got ${describeValue(runtimeDir)}`);
  }

  let pipeName: string;
  let name: string;
  if (address.startsWith('pipe://')) {
    name = address.slice('pipe://'.length);
    if (!LOGICAL_NAME.test(name)) {
      throw invalidArgument(`'${address}': a pipe:// name uses letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. 'pipe://orders')`);
    }
    pipeName = `pipebus-${name}`;
  } else if (WIN32_PREFIX.test(address)) {
    name = address.slice('\\\\.\\pipe\\'.length);
    if (name.length === 0 || name.length > MAX_WIN32_PIPE_NAME) {
      throw invalidArgument(`'${address}': the pipe name after \\\\.\\pipe\\ must be 1 to ${MAX_WIN32_PIPE_NAME} characters`);
    }
    // Windows allows '\' inside pipe names; a socket file name cannot hold '/'.
    if (!win32 && /[\\/]/.test(name)) {
      throw invalidArgument(`'${address}': on POSIX a pipe name maps to a socket file and cannot contain '\\' or '/'; use a flat name or a socket path`);
    }
    pipeName = name;
  } else if (address.startsWith('/')) {
    if (win32) throw invalidArgument(`'${address}' is a POSIX socket path; on Windows use 'pipe://name' or '\\\\.\\pipe\\name'`);
    return checkSocketPath({ path: path.normalize(address), kind: 'unix-socket', name: path.basename(address) }, address);
  } else {
    throw invalidArgument(`'${address}' is not a pipe address; use 'pipe://name', '\\\\.\\pipe\\name' or an absolute socket path '/path/to.sock'`);
  }

  if (win32) return { path: `\\\\.\\pipe\\${pipeName}`, kind: 'win32-pipe', name };
  const dir = runtimeDir ?? defaultRuntimeDir(platform);
  return checkSocketPath({ path: path.join(dir, `${pipeName}.sock`), kind: 'unix-socket', name }, address);
}

function checkSocketPath(resolved: ResolvedPipeAddress, address: string): ResolvedPipeAddress {
  const bytes = Buffer.byteLength(resolved.path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw invalidArgument(
      `'${address}' maps to '${resolved.path}' (${bytes} bytes), longer than a unix socket path may be (${MAX_SOCKET_PATH_BYTES}); use a shorter name or a shorter runtimeDir`,
    );
  }
  return resolved;
}
