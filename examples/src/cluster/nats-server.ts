/**
 * A private nats-server for the example's own run: 127.0.0.1, a port the
 * kernel picks (`-p -1`: a system server may hold 4222), read from the ports
 * file the server writes once it listens; stopped by pid. Set NATS_URL
 * instead to use a server you already run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A nats-server this process started. */
export interface LocalNatsServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** Stops it (SIGTERM) and removes its directory; resolves once it exited. */
  stop(): Promise<void>;
}

const KNOWN_PATHS = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
const START_BOUND_MS = 15_000;

/** `$NATS_SERVER`, else the first `nats-server` on `$PATH`, else a usual install path. */
function findBinary(): string {
  const fromEnv = process.env['NATS_SERVER'];
  if (fromEnv !== undefined && fromEnv !== '' && existsSync(fromEnv)) return fromEnv;
  const onPath = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'nats-server'));
  const found = [...onPath, ...KNOWN_PATHS].find((p) => existsSync(p));
  if (found !== undefined) return found;
  throw new Error(
    "nats-server was not found ($NATS_SERVER, $PATH, /usr/sbin): install it (Debian/Ubuntu: 'sudo apt-get install nats-server'; elsewhere https://docs.nats.io) or set NATS_URL to a server you run",
  );
}

/** Starts nats-server and resolves once it listens (its ports file exists and is whole). */
export function startLocalNatsServer(): Promise<LocalNatsServer> {
  const binary = findBinary();
  const dir = mkdtempSync(join(tmpdir(), 'pbcluster-nats-'));
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => void (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise<LocalNatsServer>((resolve, reject) => {
    let settled = false;
    const watcher = watch(dir, () => check());
    const done = (error: Error | undefined, url?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      watcher.close();
      if (error !== undefined) void stop().finally(() => reject(error));
      else resolve({ url: url!, process: child, stop });
    };
    const bound = setTimeout(() => done(new Error(`nats-server did not listen within ${START_BOUND_MS} ms; its log:\n${log}`)), START_BOUND_MS);
    child.once('exit', (code, signal) => done(new Error(`nats-server exited (${code ?? signal}) before it listened; its log:\n${log}`)));
    child.once('error', (error) => done(new Error(`could not run ${binary}: ${error.message}`)));
    /** The server writes `{"nats":["nats://127.0.0.1:PORT"],...}` once every listener is up; it may be seen half-written. */
    function check(): void {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.ports'))) {
        try {
          const url = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { nats?: unknown[] }).nats?.[0];
          if (typeof url === 'string') done(undefined, url);
        } catch {
          // Not whole yet: the next change event reads it again.
        }
      }
    }
    check();
  });
}
