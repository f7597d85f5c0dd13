import { parseArgs } from 'node:util';
import { BusError, MessageBus } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { isMailslotAddress } from '../address/address-kind.js';
import { checkPipeAddress } from '../address/check-address.js';
import { parseDescription, type BusDescription } from '../description/bus-description.js';
import { describeListing } from '../description/listing.js';
import { EXIT } from '../exit-codes.js';
import { joinDashValues } from '../format/args.js';
import type { CliIo } from '../io.js';
import { cliLogger } from '../output/cli-logger.js';
import { safeJson, safeText } from '../output/peer-text.js';
import { UsageError, msOption } from '../usage-error.js';
import { natsTarget, openNats, refuseOverNats, whenPeerKnown } from '../address/nats-address.js';

/** The method `implement()` (@pipebus/contract) answers on every bus it serves. */
export const DESCRIBE_METHOD = 'pipebus.describe';

/** Help of `pipebus describe`. */
export const describeHelp = `Usage: pipebus describe ADDRESS [--contract NAME] [--json] [--schemas] [--timeout MS] [--wait MS] [--to PEER] [--nats-prefix P]

List the typed contracts (@pipebus/contract) the server at ADDRESS implements:
per contract its name, version, fingerprint and wire prefix; per method or
event its kind, key, wire name, schemas (their library, or "typed only") and
declared error codes.
  ADDRESS        pipe://name, \\\\.\\pipe\\name (Windows) or /path/to.sock (POSIX);
                 nats://HOST:PORT (several: nats://a:4222,nats://b:4222);
                 a mailslot is one-way and cannot answer: for a mailslot group's
                 members, run pipebus doctor mailslot://group
  --contract NAME  only the contract NAME (all its majors)
  --json         print the description as one line of JSON (for scripts and jq):
                 checked, with the fields of format 1 only, and whole however large
  --schemas      print each JSON Schema too, pretty-printed and cut past 60 lines
  --timeout MS   how long to wait for the answer (default 5000)
  --wait MS      wait up to MS for the server to appear or a busy pipe to free
                 (default 0: fail at once with NOT_FOUND; pipes only)
  --to PEER      the peer to ask, on a transport with several (a pipe client has
                 one, 'server'; on NATS, a peer id such as pb-..., which
                 pipebus serve prints)
  --nats-prefix P  the subject prefix on NATS (default: pipebus), as the server's

Exit codes: 0 listed, 1 no answer or not a description (NO_HANDLER: the server
implements no contract; DECODE_FAILED: the answer is malformed;
UNSUPPORTED_VERSION: a newer format, upgrade @pipebus/cli), 2 usage error.`;

/** `pipebus describe`: what a running service offers, from the shell. */
export async function describe(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinDashValues(args, ['timeout', 'wait', 'to', 'contract', 'nats-prefix']),
    allowPositionals: true,
    options: { contract: { type: 'string' }, json: { type: 'boolean' }, schemas: { type: 'boolean' }, timeout: { type: 'string' }, wait: { type: 'string' }, to: { type: 'string' }, 'nats-prefix': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('describe takes one ADDRESS');
  if (values.json && values.schemas) throw new UsageError('--schemas has no meaning with --json (the JSON holds the schemas whole)');
  const [address] = positionals as [string];
  if (isMailslotAddress(address)) {
    // A mailslot cannot carry the answer back; a group's members are what doctor lists.
    const group = /^mailslot:\/\//i.test(address) ? `; to list the members of a mailslot group, run: pipebus doctor ${address}` : '';
    throw new UsageError(`describe needs a duplex transport, and a mailslot carries events one way: give the service's pipe address (pipe://name)${group}`);
  }
  const nats = natsTarget(address, values['nats-prefix']);
  refuseOverNats(nats, values.wait !== undefined, '--wait', 'an unreachable NATS server fails at once with NOT_FOUND');
  if (nats === undefined) checkPipeAddress(address);
  const timeout = msOption(values.timeout, 'timeout', 5000, 1);
  const connectTimeout = msOption(values.wait, 'wait', 0, 0);
  if (values.to !== undefined && values.to.length === 0) throw new UsageError("--to takes a peer id, got ''");
  if (values.contract !== undefined && values.contract.length === 0) throw new UsageError("--contract takes a contract name such as 'inventory', got ''");
  // JSON Schemas only when they are printed: the server converts them on first
  // ask, which for a big contract takes a while, and they are the answer's bulk.
  const query = { schemas: values.json === true || values.schemas === true, ...(values.contract === undefined ? {} : { contract: values.contract }) };

  const logger = cliLogger(io);
  const transport = nats === undefined ? new NamedPipeClient({ address, connectTimeout, reconnect: false, logger }) : openNats(nats);
  const bus = new MessageBus(transport, { logger, name: 'pipebus describe' });
  // Subscribed before the bus starts, so the peer's first answer is not missed.
  const peerKnown = nats !== undefined && values.to !== undefined ? whenPeerKnown(transport, values.to, timeout) : undefined;
  peerKnown?.catch(() => {});
  let answer: unknown;
  try {
    if (peerKnown !== undefined) {
      await bus.start();
      await peerKnown;
    }
    answer = await bus.request(DESCRIBE_METHOD, query, { timeout, ...(values.to === undefined ? {} : { to: values.to }) });
  } catch (error) {
    if (BusError.is(error, 'NO_HANDLER')) {
      throw new BusError('NO_HANDLER', `${safeText(address)} implements no contract (or uses a @pipebus/contract older than describe)`, { cause: error });
    }
    throw error;
  } finally {
    await bus.close();
  }
  const description = checkedAnswer(address, answer);
  if (values.json) io.out(safeJson(description));
  else for (const line of describeListing(address, description, values.schemas ?? false)) io.out(line);
  return EXIT.OK;
}

function checkedAnswer(address: string, answer: unknown): BusDescription {
  try {
    return parseDescription(answer);
  } catch (error) {
    // The check's message names the field; this names who sent it.
    if (BusError.is(error, 'DECODE_FAILED') || BusError.is(error, 'UNSUPPORTED_VERSION')) {
      throw new BusError(error.code, `${safeText(address)}'s answer to ${DESCRIBE_METHOD} is ${error.message}`, { cause: error });
    }
    throw error;
  }
}
