// A private nats-server for tests (and, through them, for anything that needs
// a real NATS server): started on 127.0.0.1 with a port the kernel picks
// (`-p -1`; the system's unit may already hold 4222), read from the ports file
// the server writes once it listens, killed and restarted on the same port for
// reconnect tests, and stopped by pid. Node built-ins only: this package
// depends on nothing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NATS_CONTROL_ENV, processExists, remoteNatsServer } from './nats-control.js';
import type { NatsServerHandle, NatsServerOptions } from './nats-types.js';

/** Where a Debian-like system or a manual install puts the binary; `$NATS_SERVER` and `$PATH` are searched first. */
const KNOWN_PATHS = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** How long a start may take before it fails (a backstop: the ports file's arrival is the event waited for). */
const START_DEADLINE_MS = 15_000;

/** How much of the server's log an error message quotes. */
const LOG_TAIL_CHARS = 4000;

/**
 * The nats-server binary: `$NATS_SERVER`, else the first on `$PATH`, else a
 * known path. When there is none and this process runs as root on a system
 * with apt-get (as CI does), installs Debian's `nats-server` package first.
 * Throws an error saying how to install it otherwise.
 */
export function findNatsServer(): string {
  const found = lookUp();
  if (found !== undefined) return found;
  if (process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    aptInstall();
    const installed = lookUp();
    if (installed !== undefined) return installed;
  }
  const where = process.platform === 'win32'
    ? `Windows Node cannot start the Linux nats-server: run the tests through scripts/windows/jest.sh, which starts a helper on the Linux side and sets ${NATS_CONTROL_ENV}`
    : "install it (Debian/Ubuntu: 'sudo apt-get install nats-server'; elsewhere: https://docs.nats.io, 'Installing a NATS Server') or set NATS_SERVER to its path";
  throw new Error(`nats-server was not found (looked at $NATS_SERVER, $PATH and ${KNOWN_PATHS.join(', ')}); ${where}`);
}

/**
 * Starts a nats-server on 127.0.0.1 with a free port and resolves once it
 * accepts connections (its ports file is written after every listener is
 * up). Stop it with `stop()` in an `afterAll`/`afterEach`; a server left
 * running is killed when this process exits. When PIPEBUS_NATS_CONTROL names
 * a helper (Windows Node under Wine, which cannot run the Linux binary;
 * see nats-control.ts), the helper starts it.
 *
 * @example
 * ```ts
 * let server: NatsServerHandle;
 * beforeAll(async () => { server = await startNatsServer(); });
 * afterAll(() => server.stop());
 * ```
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const control = process.env[NATS_CONTROL_ENV];
  if (control !== undefined && control !== '') return remoteNatsServer(control, options);
  const binary = findNatsServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipebus-nats-'));
  const extra = [...(options.args ?? [])];
  if (options.maxPayload !== undefined) {
    const config = path.join(dir, 'server.conf');
    writeFileSync(config, `max_payload: ${options.maxPayload}\n`);
    extra.unshift('-c', config);
  }
  let first: Started;
  try {
    first = await launch(binary, dir, '-1', extra);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = first.port;
  let current: Started | undefined = first;
  let stopped = false;

  const killCurrent = async (signal: NodeJS.Signals): Promise<void> => {
    const running = current;
    current = undefined;
    if (running !== undefined) await terminate(running.child, signal);
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current?.child.pid;
    },
    version: first.version,
    kill: () => killCurrent('SIGKILL'),
    async restart() {
      if (stopped) throw new Error('restart(): this nats-server was stopped; start a new one');
      await killCurrent('SIGKILL');
      current = await launch(binary, dir, String(port), extra);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await killCurrent('SIGTERM');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    hasProcess: (pid) => Promise.resolve(processExists(pid)),
  };
}

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly version: string | undefined;
}

/** Every server child of this process still running, killed when the process exits (a test that failed before its stop()). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/**
 * Spawns the server and waits for its ports file (`nats-server_<pid>.ports`
 * in `dir`), watching the directory; fails when the server exits first, or
 * after {@link START_DEADLINE_MS}, with the server's log.
 */
function launch(binary: string, dir: string, port: string, extra: readonly string[]): Promise<Started> {
  return new Promise<Started>((resolve, reject) => {
    let log = '';
    let watcher: FSWatcher | undefined;
    let settled = false;
    const child = spawn(binary, ['-a', '127.0.0.1', '-p', port, '--ports_file_dir', dir, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child);
    const portsFile = (): string => path.join(dir, `${path.basename(binary)}_${child.pid}.ports`);

    const finish = (error: Error | undefined, started?: Started): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      watcher?.close();
      child.off('exit', onExit);
      if (error !== undefined) {
        void terminate(child, 'SIGKILL').finally(() => reject(error));
        return;
      }
      // From here on the server only runs: nothing of it may hold this process open.
      child.stderr?.removeListener('data', onLog);
      child.stderr?.resume();
      (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
      child.unref();
      resolve(started!);
    };
    const onLog = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-LOG_TAIL_CHARS);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish(new Error(`nats-server exited (${code ?? signal}) before it listened; its log:\n${log}`));
    };
    /** Reads the ports file once it is there and whole (it may be seen while being written). */
    const tryRead = (): void => {
      if (settled || child.pid === undefined) return;
      let text: string;
      try {
        text = readFileSync(portsFile(), 'utf8');
      } catch {
        return;
      }
      const url = parsePorts(text);
      if (url === undefined) return;
      finish(undefined, { child, port: Number(new URL(url).port), version: /Version:\s+(\S+)/.exec(log)?.[1] });
    };

    child.stderr?.on('data', onLog);
    child.once('exit', onExit);
    child.once('error', (error) => finish(new Error(`could not run ${binary}: ${error.message}`)));
    const deadline = setTimeout(() => finish(new Error(`nats-server wrote no ports file in ${dir} within ${START_DEADLINE_MS} ms; its log:\n${log}`)), START_DEADLINE_MS);
    watcher = watch(dir, () => tryRead());
    // Written before the watch began (a fast start): read it now as well.
    tryRead();
  });
}

/** The client URL in a ports file (`{"nats":["nats://127.0.0.1:PORT"]}`), or undefined while it is incomplete. */
function parsePorts(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { nats?: unknown };
    const first = Array.isArray(parsed.nats) ? parsed.nats[0] : undefined;
    return typeof first === 'string' ? first : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `signal` and resolves once the process exited (SIGKILL after 5 s if it did not). */
function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

function lookUp(): string | undefined {
  const fromEnv = process.env['NATS_SERVER'];
  if (fromEnv !== undefined && fromEnv !== '' && existsSync(fromEnv)) return fromEnv;
  const exe = process.platform === 'win32' ? 'nats-server.exe' : 'nats-server';
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, exe);
    if (existsSync(candidate)) return candidate;
  }
  return KNOWN_PATHS.find((p) => existsSync(p));
}

function aptInstall(): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): void => void execFileSync('apt-get', ['install', '-y', '-q', 'nats-server'], { stdio: 'ignore', env, timeout: 300_000 });
  try {
    install();
  } catch {
    // The package lists may be missing or stale (a fresh container): refresh once.
    try {
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', env, timeout: 300_000 });
      install();
    } catch {
      // Reported by the caller as "not found", with the advice.
    }
  }
}
