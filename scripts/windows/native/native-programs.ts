/**
 * Start the native peers (console C versions of the seeds' MFC programs, built
 * by `scripts/windows/native/build.sh` into `.cache/wine/native/*.exe`) from
 * tests that run under Windows Node on Wine (`scripts/windows/jest.sh`).
 *
 * Dependency-free (Node built-ins only). Import it by relative path; it is
 * compiled as CommonJS by ts-jest, and is valid ESM TypeScript too.
 *
 * Every program prints one line per event on stdout (see `native.h`):
 * `READY <name>`, `CONNECTED`, `READ <n> <hex> <text>`, `WROTE <n>`, `DONE`,
 * `ERROR <code> <what>`; it exits 0 on success, else with the Win32 error code.
 * Wait on those lines ({@link NativeProcess.waitForLine}) instead of sleeping.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The four native programs. */
export type NativeProgram = 'pipe-server' | 'pipe-client' | 'mailslot-server' | 'mailslot-client';

/** All native program names, in build order. */
export const NATIVE_PROGRAMS: readonly NativeProgram[] = [
  'pipe-server',
  'pipe-client',
  'mailslot-server',
  'mailslot-client',
];

/** The names and bytes of the seeds' programs (every message carries its trailing NUL). */
export const SEED = {
  /** `\\.\pipe\mypipe` */
  pipeName: '\\\\.\\pipe\\mypipe',
  /** `\\.\mailslot\Mymailslot` */
  mailslotName: '\\\\.\\mailslot\\Mymailslot',
  /** What pipe-client writes: "NAMEDPIPE CLIENT\0", 17 bytes. */
  pipeClientMessage: Buffer.from('NAMEDPIPE CLIENT\0', 'latin1'),
  /** What pipe-server writes: "OnNamedPipe Server\0", 19 bytes. */
  pipeServerMessage: Buffer.from('OnNamedPipe Server\0', 'latin1'),
  /** What mailslot-client writes: "Bingo is handsome\0", 18 bytes. */
  mailslotMessage: Buffer.from('Bingo is handsome\0', 'latin1'),
} as const;

/** Default bound, in milliseconds, on a native program's whole run. */
export const DEFAULT_NATIVE_TIMEOUT_MS = 20_000;

/** Default bound, in milliseconds, on one {@link NativeProcess.waitForLine}. */
export const DEFAULT_LINE_TIMEOUT_MS = 10_000;

let uniqueCounter = 0;

/** A name part unique to this process and call: `<tag>-<pid>-<counter>-<random>`. */
function uniqueSuffix(tag: string): string {
  uniqueCounter += 1;
  const random = Math.floor(Math.random() * 0x1000000).toString(16);
  return `${tag}-${process.pid}-${uniqueCounter}-${random}`;
}

/** A fresh pipe name, `\\.\pipe\pipebus-native-<tag>-...`, so concurrent runs never collide. */
export function uniquePipeName(tag = 'test'): string {
  return `\\\\.\\pipe\\pipebus-native-${uniqueSuffix(tag)}`;
}

/** A fresh mailslot name, `\\.\mailslot\pipebus-native-<tag>-...`. */
export function uniqueMailslotName(tag = 'test'): string {
  return `\\\\.\\mailslot\\pipebus-native-${uniqueSuffix(tag)}`;
}

/** The repository root: three levels above this file, or the nearest pnpm-workspace.yaml above cwd. */
function repoRoot(): string {
  // CommonJS (ts-jest) has __dirname; under ESM it is undefined (or a stray
  // global, as `node -e` defines), so check the answer and else search from cwd.
  if (typeof __dirname === 'string') {
    const root = path.resolve(__dirname, '..', '..', '..');
    if (existsSync(path.join(root, 'scripts', 'windows', 'native', 'build.sh'))) return root;
  }
  let dir = process.cwd();
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * The folder holding the built .exe files: `$PIPEBUS_NATIVE_DIR` if set, else
 * `$PIPEBUS_WINE_HOME/native` (Wine passes the Unix environment through, and
 * Windows Node resolves a Unix absolute path against drive Z:), else
 * `<repo>/.cache/wine/native`.
 */
export function nativeDir(): string {
  const explicit = process.env['PIPEBUS_NATIVE_DIR'];
  if (explicit) return path.resolve(explicit);
  const wineHome = process.env['PIPEBUS_WINE_HOME'];
  if (wineHome) return path.resolve(wineHome, 'native');
  return path.join(repoRoot(), '.cache', 'wine', 'native');
}

/** True when this is Windows Node (under Wine or not) and all four programs are built. */
export function nativeAvailable(): boolean {
  return (
    process.platform === 'win32' &&
    NATIVE_PROGRAMS.every((name) => existsSync(path.join(nativeDir(), `${name}.exe`)))
  );
}

/**
 * The Windows path of a built native program.
 *
 * @throws Error when not on Windows Node, or when the .exe is missing (with
 *   the command that builds it).
 */
export function nativeExe(name: NativeProgram): string {
  if (!NATIVE_PROGRAMS.includes(name)) {
    throw new Error(`unknown native program '${String(name)}' (one of: ${NATIVE_PROGRAMS.join(', ')})`);
  }
  if (process.platform !== 'win32') {
    throw new Error(
      `native program ${name}.exe runs only beside Windows Node: run the tests with scripts/windows/jest.sh`,
    );
  }
  const exe = path.join(nativeDir(), `${name}.exe`);
  if (!existsSync(exe)) {
    throw new Error(
      `native program not built: ${exe} is missing. Run scripts/windows/setup.sh ` +
        `(or scripts/windows/native/build.sh) on the Linux side first.`,
    );
  }
  return exe;
}

/** Options of {@link startNative}. */
export interface StartNativeOptions {
  /**
   * Kill the program if it still runs after this many milliseconds
   * (default {@link DEFAULT_NATIVE_TIMEOUT_MS}); {@link NativeExit.timedOut} then is true.
   */
  timeoutMs?: number;
}

/** How a native program ended. */
export interface NativeExit {
  /** Exit code: 0 on success, else the Win32 error (as `ERROR <code>` said); null if killed. */
  code: number | null;
  /** The signal that ended it, if any (a kill() or the time-out). */
  signal: NodeJS.Signals | null;
  /** All of stdout (lines end with CRLF: the C runtime writes text mode). */
  stdout: string;
  /** All of stderr. */
  stderr: string;
  /** stdout as lines, without line ends. */
  lines: string[];
  /** True when the program was killed by the {@link StartNativeOptions.timeoutMs} bound. */
  timedOut: boolean;
  /** The spawn error, when the .exe could not be started at all. */
  error?: Error;
}

/** A running native program. */
export interface NativeProcess {
  /** The program's name. */
  readonly name: NativeProgram;
  /** The arguments it was started with. */
  readonly args: readonly string[];
  /** Its (Windows) process id, once spawned. */
  readonly pid: number | undefined;
  /** The stdout lines seen so far, without line ends. */
  readonly lines: readonly string[];
  /**
   * Resolve with the first stdout line matching `pattern` after the line the
   * previous call matched (calls consume lines in order, so waiting twice for
   * `/^READ /` returns two different READ lines); lines already printed count.
   * Rejects when `timeoutMs` (default {@link DEFAULT_LINE_TIMEOUT_MS}) passes
   * or the program exits first; the message then shows its output.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Settles when the program has exited; never rejects. */
  readonly exited: Promise<NativeExit>;
  /** Like {@link exited}, but rejects unless the exit code is 0 (the message shows its output). */
  succeeded(): Promise<NativeExit>;
  /** Stop the program now (TerminateProcess); harmless once it has exited. */
  kill(): void;
}

/** Waiters on lines; one list per process. */
interface LineWaiter {
  pattern: RegExp;
  resolve(match: RegExpMatchArray): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

function describeRun(name: string, args: readonly string[], lines: readonly string[], stderr: string): string {
  const out = lines.length > 0 ? lines.map((l) => `    ${l}`).join('\n') : '    (nothing)';
  const err = stderr.trim() ? `\n  stderr:\n${stderr.trim().split(/\r?\n/).map((l) => `    ${l}`).join('\n')}` : '';
  return `${name}.exe ${args.join(' ')}\n  stdout:\n${out}${err}`;
}

/**
 * Start a native program with piped stdout/stderr (stdin ignored).
 *
 * @param name - which program.
 * @param args - its arguments, e.g. `[uniquePipeName(), '--timeout', '5000']`.
 * @param options - see {@link StartNativeOptions}.
 * @throws Error from {@link nativeExe} when it cannot run here.
 */
export function startNative(
  name: NativeProgram,
  args: readonly string[] = [],
  options: StartNativeOptions = {},
): NativeProcess {
  const exe = nativeExe(name);
  const timeoutMs = options.timeoutMs ?? DEFAULT_NATIVE_TIMEOUT_MS;
  const child = spawn(exe, [...args], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });

  const lines: string[] = [];
  let cursor = 0; // index of the first line waitForLine has not consumed
  let stdout = '';
  let stderr = '';
  let partial = '';
  let ended = false;
  let timedOut = false;
  let spawnError: Error | undefined;
  const waiters = new Set<LineWaiter>();

  /** Match waiters against unconsumed lines; waiters are served in arrival order. */
  const pump = (): void => {
    for (const waiter of waiters) {
      for (let i = cursor; i < lines.length; i++) {
        const match = (lines[i] as string).match(waiter.pattern);
        if (match) {
          cursor = i + 1;
          waiters.delete(waiter);
          clearTimeout(waiter.timer);
          waiter.resolve(match);
          break;
        }
      }
    }
  };

  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    const parts = (partial + chunk).split(/\r?\n/);
    partial = parts.pop() ?? '';
    lines.push(...parts);
    pump();
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const killTimer = setTimeout(() => {
    timedOut = true;
    child.kill();
  }, timeoutMs);

  const exited = new Promise<NativeExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      clearTimeout(killTimer);
      if (partial) {
        lines.push(partial.replace(/\r$/, ''));
        partial = '';
        pump();
      }
      const why = spawnError
        ? `could not start: ${spawnError.message}`
        : timedOut
          ? `was killed after ${timeoutMs} ms (timeoutMs)`
          : `exited (code ${String(code)}${signal ? `, signal ${signal}` : ''})`;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(
          new Error(`native ${why} before printing a line matching ${String(waiter.pattern)}: ${describeRun(name, args, lines, stderr)}`),
        );
      }
      waiters.clear();
      const result: NativeExit = { code, signal, stdout, stderr, lines: [...lines], timedOut };
      if (spawnError) result.error = spawnError;
      resolve(result);
    };
    // 'close' comes after the stdio streams ended, so stdout is complete then.
    child.on('close', finish);
    child.on('error', (error: Error) => {
      spawnError = error;
      // No 'close' follows a failed spawn.
      if (child.pid === undefined) finish(null, null);
    });
  });

  return {
    name,
    args,
    get pid() {
      return child.pid;
    },
    get lines() {
      return lines;
    },
    exited,
    waitForLine(pattern: RegExp, lineTimeoutMs = DEFAULT_LINE_TIMEOUT_MS): Promise<RegExpMatchArray> {
      return new Promise<RegExpMatchArray>((resolve, reject) => {
        const waiter: LineWaiter = {
          pattern,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new Error(`no line matching ${String(pattern)} within ${lineTimeoutMs} ms from ${describeRun(name, args, lines, stderr)}`),
            );
          }, lineTimeoutMs),
        };
        waiters.add(waiter);
        pump();
        if (ended && waiters.has(waiter)) {
          waiters.delete(waiter);
          clearTimeout(waiter.timer);
          reject(new Error(`native program already exited without a line matching ${String(pattern)}: ${describeRun(name, args, lines, stderr)}`));
        }
      });
    },
    async succeeded(): Promise<NativeExit> {
      const result = await exited;
      if (result.code !== 0) {
        throw new Error(
          `native program failed (code ${String(result.code)}${result.timedOut ? ', timed out' : ''}): ${describeRun(name, args, result.lines, result.stderr)}`,
        );
      }
      return result;
    },
    kill(): void {
      if (!ended) child.kill();
    },
  };
}

/** A parsed `READ <n> <hex> <text>` line. */
export interface NativeRead {
  /** The byte count the program reported. */
  length: number;
  /** The bytes read (from the hex field). */
  bytes: Buffer;
  /** The printable rendering the program printed (bytes before the first NUL). */
  text: string;
}

const READ_LINE = /^READ (\d+) (-|[0-9a-f]*) ?(.*)$/;

/**
 * Parse a `READ` line (from {@link NativeProcess.waitForLine}`(/^READ /)` or
 * {@link NativeExit.lines}).
 *
 * @throws Error when the line is not a well-formed READ line.
 */
export function parseReadLine(line: string | RegExpMatchArray): NativeRead {
  const text = typeof line === 'string' ? line : (line.input ?? line[0]);
  const m = READ_LINE.exec(text);
  if (!m) throw new Error(`not a READ line: ${JSON.stringify(text)}`);
  const length = Number(m[1]);
  const hex = m[2] === '-' ? '' : (m[2] as string);
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== length) {
    throw new Error(`READ line says ${length} bytes but carries ${bytes.length}: ${JSON.stringify(text)}`);
  }
  return { length, bytes, text: m[3] ?? '' };
}

/** All READ lines of a finished run, parsed. */
export function readsOf(result: NativeExit): NativeRead[] {
  return result.lines.filter((l) => l.startsWith('READ ')).map((l) => parseReadLine(l));
}
