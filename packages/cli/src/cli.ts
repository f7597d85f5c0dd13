import { BusError } from '@pipebus/core';
import { closestKey } from '@pipebus/core/transport-kit';
import { describe, describeHelp } from './commands/describe.js';
import { doctor, doctorHelp } from './commands/doctor.js';
import { pub, pubHelp, sub, subHelp } from './commands/pubsub.js';
import { request, requestHelp } from './commands/request.js';
import { serve, serveHelp } from './commands/serve.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { safeText } from './output/peer-text.js';
import { UsageError } from './usage-error.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string; summary: string }> = {
  serve: { run: serve, help: serveHelp, summary: 'serve requests on a named pipe or NATS (echo, fixed reply, raw bytes)' },
  request: { run: request, help: requestHelp, summary: 'send one request and print the reply' },
  pub: { run: pub, help: pubHelp, summary: 'publish an event (mailslot group, OS mailslot, pipe, or NATS)' },
  sub: { run: sub, help: subHelp, summary: 'print the events that match a pattern' },
  describe: { run: describe, help: describeHelp, summary: 'list the typed contracts a server implements (methods, events, schemas)' },
  doctor: { run: doctor, help: doctorHelp, summary: 'say what is wrong with this machine or a server' },
};

/** The top-level help text. */
export const mainHelp = `pipebus: a message bus for local IPC over named pipes and mailslots, and across machines over NATS

Usage: pipebus COMMAND [ARGS] [--help]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Addresses: pipe://name and mailslot://name are private to you on this machine
(\\\\.\\pipe\\pipebus-name on Windows, a socket in a 0700 runtime directory on POSIX);
raw OS names (\\\\.\\pipe\\mypipe, \\\\.\\mailslot\\Mymailslot, /path/x.sock) are accepted too.
nats://HOST:PORT (several: nats://a:4222,nats://b:4222) reaches every peer on a NATS
server under one subject prefix (--nats-prefix P, default pipebus); peer ids there
are self-declared, so use NATS's own permissions to keep others out.

Payloads: JSON if it parses, else text (--json insists on JSON); - reads stdin,
@FILE a file, @@TEXT is the text @TEXT.

Exit codes: 0 success, 1 the operation failed (the error code is printed), 2 usage error
(the command line, an address, an option value or a payload).`;

/**
 * Runs one command line; resolves to the exit code. Never throws: errors
 * become one line on stderr (no stack trace for a user's mistake).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(mainHelp);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-v') {
    io.out('pipebus 0.1.0');
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`pipebus: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).join(', ')}. Try 'pipebus --help'.`);
    return EXIT.USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.help);
    return EXIT.OK;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    return reportError(name, command.help, error, io);
  }
}

function reportError(name: string, help: string, error: unknown, io: CliIo): number {
  if (error instanceof UsageError || isParseArgsError(error)) {
    io.err(`pipebus ${name}: ${(error as Error).message}${suggestOption(error, help)}\n\n${help}`);
    return EXIT.USAGE;
  }
  if (BusError.is(error)) {
    const os = error.osName !== undefined ? ` [${error.osName}${error.osCode !== undefined ? ` ${error.osCode}` : ''}]` : '';
    // A remote error's code and message are the peer's text: escaped and cut
    // like any peer text, so that they cannot drive the terminal.
    const remote = error.remoteCode !== undefined ? ` (remote code ${safeText(error.remoteCode, 64)})` : '';
    // The transports' advice speaks to library users; here the same knob is a flag.
    const message = help.includes('--wait MS') ? error.message.replace('connect with { connectTimeout }', 'pass --wait MS') : error.message;
    // A contract's declared error carries its data in details.data: what the caller needs to act on.
    const data = error.details?.['data'];
    const shownData = data === undefined ? '' : ` data: ${safeText(jsonOrString(data), 2000)}`;
    io.err(`pipebus ${name}: ${error.code}${remote}: ${safeText(message, 2000)}${os}${shownData}`);
    return EXIT.FAILED;
  }
  // Not a user mistake: this is a bug, and the stack is what a maintainer needs.
  io.err(`pipebus ${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.FAILED;
}

function jsonOrString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * " (did you mean '--timeout'?)" for parseArgs' unknown-option error, the
 * known flags read from the command's own help, so they cannot drift apart.
 */
function suggestOption(error: unknown, help: string): string {
  if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return '';
  const given = /'(--?[^']+)'/.exec((error as Error).message)?.[1];
  if (given === undefined) return '';
  const best = closestKey(given.replace(/^-+/, ''), new Set(help.match(/--[a-z][a-z-]*/g)?.map((flag) => flag.slice(2)) ?? []));
  return best === undefined ? '' : ` (did you mean '--${best}'?)`;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
