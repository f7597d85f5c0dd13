// A private nats-server for the NATS systems: started by the bench itself on
// 127.0.0.1 with a port the server picks (`-p -1`, read back from its ports
// file: never 4222, which a system unit may hold, and no race for a port
// probed free first), stopped when the suite ends. Debian packages it as
// `nats-server`; when it is missing and we run as root on a Debian-like
// system, it is installed with apt-get, as CI does.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';

function findServer() {
  for (const candidate of [process.env.NATS_SERVER, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function install() {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  try {
    execFileSync('apt-get', ['install', '-y', '-q', 'nats-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch {
    try {
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-q', 'nats-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch {
      // Reported below as "not available".
    }
  }
}

/** The client URL in the server's ports file (`{"nats":["nats://127.0.0.1:PORT"]}`), or undefined. */
function readPortsFile(dir, binary, pid) {
  try {
    const url = JSON.parse(readFileSync(join(dir, `${basename(binary)}_${pid}.ports`), 'utf8')).nats?.[0];
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts nats-server on 127.0.0.1 and resolves once it accepts connections.
 * Resolves `{ available: false, reason }` when no server can be found or installed.
 */
export async function startNatsServer() {
  let binary = findServer();
  if (!binary) {
    install();
    binary = findServer();
  }
  if (!binary) return { available: false, reason: 'nats-server not installed (Debian: apt-get install nats-server)' };
  const dir = mkdtempSync(join(os.tmpdir(), 'pbnats-'));
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const failed = (error) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  }).catch(failed);
  child.stderr.resume();
  // The ports file is written as the listener opens, before "Server is ready"; the log line is the fallback.
  const listening = /Listening for client connections on (\S+:\d+)/.exec(log)?.[1];
  const url = readPortsFile(dir, binary, child.pid) ?? (listening && `nats://${listening}`);
  if (!url) failed(new Error(`nats-server is ready but wrote no ports file in ${dir}:\n${log}`));
  return {
    available: true,
    version: /Version:\s+(\S+)/.exec(log)?.[1],
    url,
    /** The server's process id, for the CPU it spends routing (bench/pubsub). */
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
