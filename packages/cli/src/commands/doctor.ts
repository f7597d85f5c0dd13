import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { defaultRuntimeDir, inspectPrivateDir, type DirProblem } from '@pipebus/os';
import { NamedPipeClient, resolvePipeAddress } from '@pipebus/transport-namedpipe';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { wineVersion } from './wine.js';
import { isMailslotAddress } from '../address/address-kind.js';
import { checkMailslotAddress, checkPipeAddress } from '../address/check-address.js';
import { checkGroup } from './doctor-group.js';
import type { Report, Verdict } from './doctor-report.js';
import { checkNats } from './doctor-nats.js';
import { natsTarget, type NatsTarget } from '../address/nats-address.js';
import { joinDashValues } from '../format/args.js';

/** Help of `pipebus doctor`. */
export const doctorHelp = `Usage: pipebus doctor [ADDRESS] [--nats-prefix P]

Check this machine, and the server at ADDRESS if given, and say what is wrong in
words you can act on: no server, pipe busy, access denied, a stale socket file
left by a dead server, a runtime directory the transports will refuse (a symlink,
another user's, open to others), Wine or Windows version quirks.
  ADDRESS   pipe://name (or a raw pipe): is a server there, does it answer?
            mailslot://group: list the group's live members (pid, uid, since
            when, slot) and sweep the entries of dead ones, removing the
            group's directory when none is left
            nats://HOST:PORT (or several, comma-separated): does each server
            answer (its version and max_payload), and does pipebus connect?
  --nats-prefix P  the subject prefix on NATS (default: pipebus)

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error.`;

const MARK: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** `pipebus doctor`: exit 0 when nothing failed, 1 otherwise. */
export async function doctor(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: joinDashValues(args, ['nats-prefix']), allowPositionals: true, options: { 'nats-prefix': { type: 'string' } } });
  if (positionals.length > 1) throw new UsageError('doctor takes at most one ADDRESS');
  // A malformed address is a usage error before any check runs.
  let nats: NatsTarget | undefined;
  if (positionals[0] !== undefined) nats = natsTarget(positionals[0], values['nats-prefix']);
  else if (values['nats-prefix'] !== undefined) throw new UsageError('--nats-prefix applies to a nats:// ADDRESS, and none was given');
  if (positionals[0] !== undefined && nats === undefined) (isMailslotAddress(positionals[0]) ? checkMailslotAddress : checkPipeAddress)(positionals[0]);
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
  } else if (nats === undefined) {
    // The runtime directory holds pipes and mailslots: nothing of NATS's.
    await checkRuntimeDir(report);
  }

  const address = positionals[0];
  if (nats !== undefined) await checkNats(nats, report);
  else if (address !== undefined && isMailslotAddress(address)) checkGroup(address, report, io);
  else if (address !== undefined) await checkAddress(address, report);
  return failed ? EXIT.FAILED : EXIT.OK;
}

/** Sub-directories of mailslot/ (one per group) checked at most, so a huge directory cannot stall doctor. */
const MAX_GROUP_DIRS = 256;

/**
 * Reports what the transports will refuse, with the very rules they apply
 * (@pipebus/os: lstat, not a symlink, a directory, this user's, no group/other
 * bits): a directory they refuse is a failure here too, not a warning.
 */
async function checkRuntimeDir(report: Report): Promise<void> {
  const dir = defaultRuntimeDir();
  const xdg = process.env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg.length > 0 && !isAbsolute(xdg)) {
    report('warn', `XDG_RUNTIME_DIR is a relative path ('${xdg}'): pipebus ignores it and uses ${dir}`, 'set XDG_RUNTIME_DIR to an absolute path, or unset it');
  }
  if (checkPrivateDir(dir, 'runtime directory', report) !== 'ok') return;
  const mailslot = join(dir, 'mailslot');
  if (checkPrivateDir(mailslot, 'mailslot directory', report) !== 'ok') return;
  let groups: string[];
  try {
    groups = (await readdir(mailslot)).slice(0, MAX_GROUP_DIRS);
  } catch {
    return;
  }
  for (const group of groups) checkPrivateDir(join(mailslot, group), 'mailslot group directory', report, true);
}

/** 'ok' when `dir` passes (or is absent), after reporting; quiet (failures only) for the many group dirs. */
function checkPrivateDir(dir: string, what: string, report: Report, quiet = false): 'ok' | 'absent' | 'refused' {
  // The transports' own rules (@pipebus/os), so doctor never disagrees with them; only the words are doctor's.
  const found = inspectPrivateDir(dir);
  switch (found.status) {
    case 'absent':
      if (!quiet && what === 'runtime directory') report('ok', `${what} ${dir} does not exist yet (created by the first server)`);
      return 'absent';
    case 'unreadable':
      report('fail', `cannot read ${what} ${dir}: ${found.error.message}`);
      return 'refused';
    case 'ok':
      if (!quiet) report('ok', `${what} ${dir} (mode ${found.mode.toString(8)}, yours, not a link)`);
      return 'ok';
    case 'refused':
      report('fail', ...refusal(`${what} ${dir}`, dir, found.problem, found.linkTarget));
      return 'refused';
  }
}

/** What is wrong and what to do, for a directory the transports refuse. */
function refusal(subject: string, dir: string, problem: DirProblem, linkTarget: string | undefined): [string, string] {
  const refuse = 'the pipebus transports refuse it (ACCESS_DENIED)';
  switch (problem.kind) {
    case 'relative':
      return [`${subject} is a relative path`, `${refuse}: set XDG_RUNTIME_DIR to an absolute path, or unset it`];
    case 'symlink':
      return [`${subject} is a symlink (to ${linkTarget ?? '?'})`, `${refuse}: whoever can change the link can redirect your sockets; remove it and pipebus creates a private directory`];
    case 'not-directory':
      return [`${subject} is not a directory`, `${refuse}: move that file away`];
    case 'foreign-owner':
      return [`${subject} belongs to uid ${problem.owner}, not you (uid ${problem.uid})`, `${refuse}: another user could read your sockets; remove it, or set XDG_RUNTIME_DIR to a directory of yours`];
    case 'open-mode':
      return [`${subject} has mode ${problem.mode.toString(8)}, open to other users`, `${refuse}: run chmod 700 ${dir}`];
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
