import { parseArgs } from 'node:util';
import { BusError, MessageBus } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { firstValueFrom, lastValueFrom, tap, timeout as rxTimeout } from 'rxjs';
import { formatValue, parsePayload, showBytes, withNul } from '../format/payload.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError, msOption } from '../usage-error.js';
import { cliLogger } from '../output/cli-logger.js';
import { checkPipeAddress } from '../address/check-address.js';
import { joinDashValues } from '../format/args.js';
import { readPayloadArg } from '../format/payload-source.js';
import { natsTarget, openNats, refuseOverNats } from '../address/nats-address.js';

/** Help of `pipebus request`. */
export const requestHelp = `Usage: pipebus request ADDRESS PAYLOAD [--json] [--raw] [--timeout MS] [--method NAME] [--wait MS] [--nats-prefix P]

Send one request and print the reply (a stream method's values one per line, as
they come); exit non-zero with the error code on failure.
  ADDRESS        pipe://name, \\\\.\\pipe\\name (Windows) or /path/to.sock (POSIX);
                 nats://HOST:PORT (several: nats://a:4222,nats://b:4222)
  PAYLOAD        JSON if it parses (42, '{"a":1}'), else sent as text;
                 - reads it from stdin, @FILE from a file, @@TEXT is the text @TEXT
                 (at most 16 MiB, the bus's maximum message size)
  --json         the payload must be JSON: text that is not is refused (exit 2)
  --raw          no pipebus framing: send PAYLOAD plus a NUL as plain bytes and
                 print the first bytes that come back (for native programs)
  --timeout MS   how long to wait for the reply (default 5000)
  --method NAME  the method called (default: echo)
  --wait MS      wait up to MS for the server to appear or a busy pipe to free
                 (default 0: fail at once with NOT_FOUND; pipes only)
  --nats-prefix P  the subject prefix on NATS (default: pipebus), as the server's`;

/** `pipebus request`: one call; its answer (or each streamed value) printed. */
export async function request(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinDashValues(args, ['timeout', 'method', 'wait', 'nats-prefix']),
    allowPositionals: true,
    options: { raw: { type: 'boolean' }, json: { type: 'boolean' }, timeout: { type: 'string' }, method: { type: 'string' }, wait: { type: 'string' }, 'nats-prefix': { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('request takes an ADDRESS and a PAYLOAD');
  if (values.raw && values.method !== undefined) throw new UsageError('--method has no meaning with --raw');
  if (values.raw && values.json) throw new UsageError('--json has no meaning with --raw (raw payloads are bytes)');
  const [address, arg] = positionals as [string, string];
  const timeoutMs = msOption(values.timeout, 'timeout', 5000, 1);
  const connectTimeout = msOption(values.wait, 'wait', 0, 0);
  const nats = natsTarget(address, values['nats-prefix']);
  refuseOverNats(nats, values.raw === true, '--raw', 'NATS carries pipebus frames only');
  refuseOverNats(nats, values.wait !== undefined, '--wait', 'an unreachable NATS server fails at once with NOT_FOUND');
  if (nats === undefined) checkPipeAddress(address);
  const bytes = await readPayloadArg(arg, { stdin: io.stdin ?? process.stdin });
  // Parsed before connecting: a --json mistake is a usage error, whatever the server's state.
  const payload = values.raw ? undefined : parsePayload(Buffer.from(bytes).toString('utf8'), values.json);
  const logger = cliLogger(io);

  if (values.raw) {
    const client = new NamedPipeClient({ address, raw: true, connectTimeout, reconnect: false, logger });
    try {
      // Subscribed before start() so no byte is missed; its rejection is
      // observed below, or deliberately ignored if start()/send() failed first.
      const reply = firstValueFrom(
        client.frames$.pipe(
          rxTimeout({
            first: timeoutMs,
            with: () => {
              throw new BusError('TIMEOUT', `no bytes came back within ${timeoutMs} ms`);
            },
          }),
        ),
      );
      reply.catch(() => {});
      await client.start();
      await client.send(withNul(bytes));
      io.out(showBytes((await reply).data));
      return EXIT.OK;
    } finally {
      await client.close();
    }
  }

  const transport = nats === undefined ? new NamedPipeClient({ address, connectTimeout, reconnect: false, logger }) : openNats(nats);
  const bus = new MessageBus(transport, { logger, name: 'pipebus request' });
  try {
    // request$, not request: a stream method's values each get a line as they
    // come (request would keep only the last); a one-value reply prints once.
    // The timeout counts to each next value, as for request$.
    await lastValueFrom(bus.request$(values.method ?? 'echo', payload, { timeout: timeoutMs }).pipe(tap((value) => io.out(formatValue(value)))), { defaultValue: undefined });
    return EXIT.OK;
  } finally {
    await bus.close();
  }
}
