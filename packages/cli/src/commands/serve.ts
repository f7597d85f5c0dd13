import { parseArgs } from 'node:util';
import { MessageBus } from '@pipebus/core';
import type { Transport } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { formatValue, parsePayload, showBytes, withNul } from '../format/payload.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError, intOption } from '../usage-error.js';
import { timestamp } from '../format/timestamp.js';
import { deferred, untilStopped } from '../lifecycle/until-stopped.js';
import { cliLogger } from '../output/cli-logger.js';
import { checkPipeAddress } from '../address/check-address.js';
import { joinDashValues } from '../format/args.js';
import { natsTarget, openNats, refuseOverNats } from '../address/nats-address.js';

/** Help of `pipebus serve`. */
export const serveHelp = `Usage: pipebus serve ADDRESS [--echo | --reply TEXT] [--raw] [--method NAME] [--count N] [--relay] [--nats-prefix P]

Serve requests on a named pipe or on NATS and print each one served.
  ADDRESS          pipe://name, \\\\.\\pipe\\name (Windows) or /path/to.sock (POSIX);
                   nats://HOST:PORT (several: nats://a:4222,nats://b:4222)
  --echo           answer with the request's own payload (the default)
  --reply TEXT     answer with TEXT (JSON if it parses, else the text)
  --raw            no pipebus framing: plain bytes for native programs; each
                   message is answered with TEXT plus a NUL, as the seed's
                   MFC server does (--echo sends the bytes back)
  --method NAME    the method served (default: echo)
  --count N        exit after serving N requests
  --relay          forward events from each client to the others (pub/sub hub;
                   not on NATS, which fans events out itself)
  --nats-prefix P  the subject prefix on NATS (default: pipebus); every verb
                   that talks to this server must use the same`;

/** `pipebus serve`: runs until Ctrl-C or --count requests. */
export async function serve(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinDashValues(args, ['reply', 'method', 'count', 'nats-prefix']),
    allowPositionals: true,
    options: {
      echo: { type: 'boolean' },
      reply: { type: 'string' },
      raw: { type: 'boolean' },
      method: { type: 'string' },
      count: { type: 'string' },
      relay: { type: 'boolean' },
      'nats-prefix': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('serve takes exactly one ADDRESS');
  if (values.echo && values.reply !== undefined) throw new UsageError('--echo and --reply exclude each other');
  if (values.raw && values.method !== undefined) throw new UsageError('--method has no meaning with --raw (raw messages have no method)');
  const address = positionals[0]!;
  const nats = natsTarget(address, values['nats-prefix']);
  refuseOverNats(nats, values.raw === true, '--raw', 'NATS carries pipebus frames only');
  refuseOverNats(nats, values.relay === true, '--relay', 'the NATS server delivers each event to every subscriber itself');
  if (nats === undefined) checkPipeAddress(address);
  const count = intOption(values.count, 'count', 0, 1);
  const logger = cliLogger(io);
  const done = deferred();
  let served = 0;
  const countOne = (): void => {
    served++;
    if (count > 0 && served >= count) done.resolve();
  };

  if (values.raw) {
    const server = new NamedPipeServer({ address, raw: true, logger });
    server.frames$.subscribe(({ data, peer }) => {
      const reply = values.echo || values.reply === undefined ? data : withNul(values.reply);
      io.out(`${timestamp()} ${describePeer(peer)} <- "${showBytes(data)}" -> "${showBytes(reply)}"`);
      server.send(reply, peer.id).then(countOne, (error: unknown) => io.err(`warning: could not answer ${peer.id}: ${String(error)}`));
    });
    await server.start();
    io.out(`serving raw bytes on ${server.path}; Ctrl-C to stop`);
    await untilStopped(io.signal, done.promise);
    await server.close();
    return EXIT.OK;
  }

  const method = values.method ?? 'echo';
  const pipe = nats === undefined ? new NamedPipeServer({ address, logger }) : undefined;
  const natsTransport = nats === undefined ? undefined : openNats(nats);
  const server: Transport = pipe ?? natsTransport!;
  const bus = new MessageBus(server, { logger, relay: values.relay ?? false, name: 'pipebus serve' });
  const fixed = values.reply === undefined ? undefined : { value: parsePayload(values.reply) };
  bus.handle(method, (payload, ctx) => {
    const reply = fixed === undefined ? payload : fixed.value;
    io.out(`${timestamp()} ${describePeer(ctx.peer)} ${method} ${formatValue(payload)} -> ${formatValue(reply)}`);
    return reply;
  });
  // A request counts as served once its answer has left (the transport took
  // it), not when the handler returns: --count closes the bus right after the
  // last one, and a large reply still being written would be cut short.
  bus.use({
    outbound: async (message, next) => {
      await next();
      if (message.kind === 'response' || message.kind === 'error') countOne();
    },
  });
  await bus.start();
  // On NATS, the peer id is what `describe --to` takes.
  const where = pipe?.path ?? `${address} (subjects under '${nats?.prefix}.') as peer ${natsTransport?.peerId}`;
  io.out(`serving '${method}' on ${where}; Ctrl-C to stop`);
  await untilStopped(io.signal, done.promise);
  await bus.close();
  return EXIT.OK;
}

function describePeer(peer: { id: string; pid?: number; uid?: number }): string {
  return peer.pid === undefined ? peer.id : `pid ${peer.pid}${peer.uid === undefined ? '' : ` uid ${peer.uid}`}`;
}
