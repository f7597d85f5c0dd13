import { parseArgs } from 'node:util';
import { BusError, MessageBus } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { firstValueFrom, timeout as rxTimeout } from 'rxjs';
import { formatValue, parsePayload, showBytes, withNul } from '../format/payload.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError, intOption } from '../usage-error.js';
import { cliLogger } from '../output/cli-logger.js';

/** Help of `pipebus request`. */
export const requestHelp = `Usage: pipebus request ADDRESS PAYLOAD [--raw] [--timeout MS] [--method NAME] [--wait MS]

Send one request and print the reply; exit non-zero with the error code on failure.
  ADDRESS        pipe://name, \\\\.\\pipe\\name (Windows) or /path/to.sock (POSIX)
  PAYLOAD        JSON (42, '{"a":1}') or text
  --raw          no pipebus framing: send PAYLOAD plus a NUL as plain bytes and
                 print the first bytes that come back (for native programs)
  --timeout MS   how long to wait for the reply (default 5000)
  --method NAME  the method called (default: echo)
  --wait MS      wait up to MS for the server to appear or a busy pipe to free
                 (default 0: fail at once with NOT_FOUND)`;

/** `pipebus request`: one call, one printed answer. */
export async function request(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { raw: { type: 'boolean' }, timeout: { type: 'string' }, method: { type: 'string' }, wait: { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('request takes an ADDRESS and a PAYLOAD');
  if (values.raw && values.method !== undefined) throw new UsageError('--method has no meaning with --raw');
  const [address, text] = positionals as [string, string];
  const timeoutMs = intOption(values.timeout, 'timeout', 5000, 1);
  const connectTimeout = intOption(values.wait, 'wait', 0);
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
      await client.send(withNul(text));
      io.out(showBytes((await reply).data));
      return EXIT.OK;
    } finally {
      await client.close();
    }
  }

  const bus = new MessageBus(new NamedPipeClient({ address, connectTimeout, reconnect: false, logger }), { logger, name: 'pipebus request' });
  try {
    const reply = await bus.request(values.method ?? 'echo', parsePayload(text), { timeout: timeoutMs });
    io.out(formatValue(reply));
    return EXIT.OK;
  } finally {
    await bus.close();
  }
}
