import { parseArgs } from 'node:util';
import { MessageBus } from '@pipebus/core';
import type { Transport } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { formatValue, parsePayload, showBytes, withNul } from '../format/payload.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError, intOption } from '../usage-error.js';
import { isMailslotAddress } from '../address/address-kind.js';
import { checkMailslotAddress, checkPipeAddress } from '../address/check-address.js';
import { readPayloadArg } from '../format/payload-source.js';
import { joinDashValues } from '../format/args.js';
import { timestamp } from '../format/timestamp.js';
import { deferred, untilStopped } from '../lifecycle/until-stopped.js';
import { cliLogger } from '../output/cli-logger.js';
import { natsTarget, openNats, refuseOverNats, type NatsTarget } from '../address/nats-address.js';

/** Help of `pipebus pub`. */
export const pubHelp = `Usage: pipebus pub ADDRESS TOPIC PAYLOAD [--json] [--raw] [--nats-prefix P]
       pipebus pub ADDRESS PAYLOAD --raw

Publish one event.
  ADDRESS   mailslot://group (every listener of the group), \\\\.\\mailslot\\name,
            \\\\*\\mailslot\\name (Windows domain broadcast), a pipe address
            (pipe://name: published to that server, which relays with --relay),
            or nats://HOST:PORT (every subscriber under the prefix)
  TOPIC     dot-separated tokens, no wildcards (orders.eu.created)
  PAYLOAD   JSON if it parses, else sent as text; - reads it from stdin,
            @FILE from a file, @@TEXT is the text @TEXT (at most 16 MiB, the
            bus's maximum message size)
  --json    the payload must be JSON: text that is not is refused (exit 2)
  --raw     no pipebus framing: write PAYLOAD plus a NUL as plain bytes to one
            OS mailslot (for native readers); there is no topic
  --nats-prefix P  the subject prefix on NATS (default: pipebus)`;

/** Help of `pipebus sub`. */
export const subHelp = `Usage: pipebus sub ADDRESS [PATTERN] [--raw] [--count N] [--nats-prefix P]

Print each event received, one line each.
  ADDRESS      mailslot://group, \\\\.\\mailslot\\name, /path/to.sock, pipe://name,
               or nats://HOST:PORT
  PATTERN      topics to receive: * matches one token, > the rest (default: >)
  --raw        no pipebus framing: read one OS mailslot and print the bytes as
               text, the trailing NUL shown as \\0
  --count N    exit after N events
  --nats-prefix P  the subject prefix on NATS (default: pipebus)`;

/** Which transport serves `address` here; a malformed address (or prefix) is a usage error. */
function transportKind(address: string, raw: boolean, prefix: string | undefined): NatsTarget | 'mailslot' | 'pipe' {
  const nats = natsTarget(address, prefix);
  refuseOverNats(nats, raw, '--raw', 'NATS carries pipebus frames only');
  if (nats !== undefined) return nats;
  // A plain POSIX path means a datagram socket here: pub/sub is the mailslot's job.
  const mailslot = raw || isMailslotAddress(address) || address.startsWith('/');
  if (mailslot) checkMailslotAddress(address);
  else checkPipeAddress(address);
  return mailslot ? 'mailslot' : 'pipe';
}

function openTransport(address: string, raw: boolean, prefix: string | undefined, mode: 'read' | 'write', io: CliIo): Transport {
  const logger = cliLogger(io);
  const kind = transportKind(address, raw, prefix);
  if (kind === 'mailslot') return new MailslotTransport({ address, raw, mode, logger });
  if (kind === 'pipe') return new NamedPipeClient({ address, logger });
  return openNats(kind);
}

/** `pipebus pub`. */
export async function pub(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinDashValues(args, ['nats-prefix']),
    allowPositionals: true,
    options: { raw: { type: 'boolean' }, json: { type: 'boolean' }, 'nats-prefix': { type: 'string' } },
  });
  const prefix = values['nats-prefix'];
  const raw = values.raw ?? false;
  const stdin = io.stdin ?? process.stdin;
  if (raw) {
    if (positionals.length !== 2 && positionals.length !== 3) throw new UsageError('pub --raw takes ADDRESS and PAYLOAD');
    if (values.json) throw new UsageError('--json has no meaning with --raw (raw payloads are bytes)');
    transportKind(positionals[0]!, true, prefix);
    const frame = withNul(await readPayloadArg(positionals[positionals.length - 1]!, { stdin }));
    const transport = openTransport(positionals[0]!, true, prefix, 'write', io);
    try {
      await transport.start();
      await transport.send(frame);
      io.out(`wrote ${frame.byteLength} bytes to ${positionals[0]}`);
      return EXIT.OK;
    } finally {
      await transport.close();
    }
  }
  if (positionals.length !== 3) throw new UsageError('pub takes ADDRESS, TOPIC and PAYLOAD');
  const [address, topic, arg] = positionals as [string, string, string];
  transportKind(address, false, prefix);
  const payload = parsePayload(Buffer.from(await readPayloadArg(arg, { stdin })).toString('utf8'), values.json);
  const bus = new MessageBus(openTransport(address, false, prefix, 'write', io), { logger: cliLogger(io), localDelivery: false, name: 'pipebus pub' });
  try {
    await bus.publish(topic, payload);
    io.out(`published ${topic}`);
    return EXIT.OK;
  } finally {
    await bus.close();
  }
}

/** `pipebus sub`: runs until Ctrl-C or --count events. */
export async function sub(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinDashValues(args, ['count', 'nats-prefix']),
    allowPositionals: true,
    options: { raw: { type: 'boolean' }, count: { type: 'string' }, 'nats-prefix': { type: 'string' } },
  });
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('sub takes ADDRESS and an optional PATTERN');
  const raw = values.raw ?? false;
  if (raw && positionals.length === 2) throw new UsageError('raw messages have no topic: drop the PATTERN with --raw');
  const count = intOption(values.count, 'count', 0, 1);
  const done = deferred();
  let received = 0;
  const countOne = (): void => {
    received++;
    if (count > 0 && received >= count) done.resolve();
  };
  const transport = openTransport(positionals[0]!, raw, values['nats-prefix'], 'read', io);
  if (raw) {
    transport.frames$.subscribe(({ data }) => {
      io.out(showBytes(data));
      countOne();
    });
    await transport.start();
    io.err(`reading ${positionals[0]}; Ctrl-C to stop`);
    await untilStopped(io.signal, done.promise);
    await transport.close();
    return EXIT.OK;
  }
  const bus = new MessageBus(transport, { logger: cliLogger(io), name: 'pipebus sub' });
  const pattern = positionals[1] ?? '>';
  bus.subscribe(pattern).subscribe((event) => {
    io.out(`${timestamp()} ${event.topic} ${formatValue(event.payload)}`);
    countOne();
  });
  await bus.start();
  io.err(`subscribed to '${pattern}' on ${positionals[0]}; Ctrl-C to stop`);
  await untilStopped(io.signal, done.promise);
  await bus.close();
  return EXIT.OK;
}
