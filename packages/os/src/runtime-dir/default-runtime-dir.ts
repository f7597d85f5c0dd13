import { tmpdir, userInfo } from 'node:os';
import { posix, win32 } from 'node:path';

/**
 * The private per-user directory where the OS transports keep POSIX sockets,
 * slots and group registries: `$XDG_RUNTIME_DIR/pipebus` when the session has
 * one, else `<os.tmpdir()>/pipebus-<uid>`; on Windows `<%TEMP%>\pipebus`
 * (per user already). A relative `XDG_RUNTIME_DIR` is ignored, as the XDG spec
 * asks: it would name a different directory in every working directory.
 * Pure: nothing is created here (see {@link ensurePrivateDir}).
 *
 * @param platform the platform to resolve for; POSIX paths use `/` whatever
 *   platform resolves them (tests resolve Linux addresses on Windows).
 */
export function defaultRuntimeDir(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return win32.join(tmpdir(), 'pipebus');
  const xdg = process.env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg.length > 0 && posix.isAbsolute(xdg)) return posix.join(xdg, 'pipebus');
  // Resolving for POSIX on Windows (tests) has no uid: the user name keeps users apart there.
  const uid = typeof process.getuid === 'function' ? process.getuid() : userInfo().username;
  return posix.join(tmpdir(), `pipebus-${uid}`);
}
