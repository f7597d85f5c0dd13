import { stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeClient, defaultRuntimeDir, resolvePipeAddress } from '@pipebus/transport-namedpipe';
import type { CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { wineVersion } from './wine.js';

/** Help of `pipebus doctor`. */
export const doctorHelp = `Usage: pipebus doctor [ADDRESS]

Check this machine, and the server at ADDRESS if given, and say what is wrong in
words you can act on: no server, pipe busy, access denied, a stale socket file
left by a dead server, Wine or Windows version quirks.`;

type Verdict = 'ok' | 'warn' | 'fail';
const MARK: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** `pipebus doctor`: exit 0 when nothing failed, 1 otherwise. */
export async function doctor(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length > 1) throw new UsageError('doctor takes at most one ADDRESS');
  let failed = false;
  const report = (verdict: Verdict, what: string, advice?: string): void => {
    if (verdict === 'fail') failed = true;
    io.out(`[${MARK[verdict]}] ${what}${advice ? `\n         ${advice}` : ''}`);
  };

  const [major] = process.versions.node.split('.').map(Number);
  report((major ?? 0) >= 20 ? 'ok' : 'fail', `Node.js ${process.version} on ${process.platform} ${process.arch}`, (major ?? 0) >= 20 ? undefined : 'pipebus needs Node.js 20 or newer');

  if (process.platform === 'win32') {
    const wine = await wineVersion();
    const release = os.release();
    if (wine !== undefined) {
      report('ok', `running under Wine ${wine} (Windows ${release})`);
      report('warn', 'Wine quirks: domain mailslots (\\\\*\\mailslot\\...) fail with ERROR_PATH_NOT_FOUND, and a pipe round trip costs about 1 ms', 'correctness can be tested here; measure speed on real Windows or Linux');
      if (!release.startsWith('10.')) report('fail', `Wine reports Windows ${release}`, "Node refuses old versions: run wine reg add 'HKCU\\Software\\Wine' /v Version /d win10 /f");
    } else {
      report('ok', `Windows ${release}`);
    }
  } else {
    await checkRuntimeDir(report);
  }

  const address = positionals[0];
  if (address !== undefined) await checkAddress(address, report);
  return failed ? 1 : 0;
}

type Report = (verdict: Verdict, what: string, advice?: string) => void;

async function checkRuntimeDir(report: Report): Promise<void> {
  const dir = defaultRuntimeDir();
  try {
    const s = await stat(dir);
    const mode = s.mode & 0o777;
    const mine = typeof process.getuid !== 'function' || s.uid === process.getuid();
    if (!mine) report('fail', `runtime directory ${dir} belongs to uid ${s.uid}, not you`, 'another user could read your sockets: remove it or set XDG_RUNTIME_DIR to a directory of yours');
    else if (mode !== 0o700) report('warn', `runtime directory ${dir} has mode ${mode.toString(8)}`, 'expected 700; run: chmod 700 ' + dir);
    else report('ok', `runtime directory ${dir} (mode 700, yours)`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') report('ok', `runtime directory ${dir} does not exist yet (created by the first server)`);
    else report('fail', `cannot read runtime directory ${dir}: ${(error as Error).message}`);
  }
}

async function checkAddress(address: string, report: Report): Promise<void> {
  let path: string;
  try {
    path = resolvePipeAddress(address).path;
  } catch (error) {
    report('fail', `'${address}' is not an address: ${(error as Error).message}`);
    return;
  }
  report('ok', `${address} is ${path}`);
  if (process.platform !== 'win32') {
    try {
      const s = await stat(path);
      if (!s.isSocket()) {
        report('fail', `${path} exists but is not a socket`, 'something else uses this name: pick another address or remove the file');
        return;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        report('fail', `no server: nothing listens at ${path}`, `start one with: pipebus serve ${address}`);
        return;
      }
    }
  }
  const probe = await connectProbe(path);
  switch (probe) {
    case 'ok':
      break;
    case 'ENOENT':
      report('fail', `no server: nothing listens at ${path}`, `start one with: pipebus serve ${address}`);
      return;
    case 'ECONNREFUSED':
      report('fail', `stale socket file: ${path} was left by a server that died`, `a new 'pipebus serve ${address}' replaces it; or remove the file`);
      return;
    case 'EBUSY':
      report('fail', `pipe busy: every instance of ${path} is serving another client`, 'retry with: pipebus request --wait 5000 ...');
      return;
    case 'EACCES':
    case 'EPERM':
      report('fail', `access denied to ${path}`, 'the server belongs to another user; run as that user, or start the server with other users allowed');
      return;
    default:
      report('fail', `cannot connect to ${path}: ${probe}`);
      return;
  }
  // A raw (native) server never greets: give up as soon as the ping would.
  const bus = new MessageBus(new NamedPipeClient({ address, reconnect: false, handshakeTimeout: 2000, logger: silentLogger }), { logger: silentLogger });
  try {
    const ms = await bus.ping({ timeout: 2000 });
    report('ok', `a pipebus server answers at ${path} (ping ${ms.toFixed(2)} ms)`);
  } catch (error) {
    const code = BusError.is(error) ? error.code : 'ERROR';
    report('warn', `something listens at ${path} but did not answer a pipebus ping (${code})`, 'it may be a raw server: try pipebus request --raw');
  } finally {
    await bus.close();
  }
}

/** Connects once with node:net and reports the errno, to tell the failure modes apart. */
function connectProbe(path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
