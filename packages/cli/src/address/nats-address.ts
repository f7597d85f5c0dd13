import { BusError, type Transport } from '@pipebus/core';
import { filter, firstValueFrom, timeout as rxTimeout } from 'rxjs';
import { NatsTransport, checkNatsPrefix, resolveNatsAddress } from '@pipebus/transport-nats';
import { UsageError } from '../usage-error.js';
import { isNatsAddress } from './address-kind.js';

/** The subject prefix of every verb on `nats://` unless `--nats-prefix` says otherwise (the transport's own default). */
export const DEFAULT_NATS_PREFIX = 'pipebus';

/** A checked `nats://` address with its prefix: what `new NatsTransport` is given. */
export interface NatsTarget {
  /** The address as the user wrote it, for messages. */
  readonly address: string;
  readonly servers: readonly string[];
  readonly prefix: string;
}

/**
 * The NATS target of `address` with `--nats-prefix`, or undefined when the
 * address is not a `nats://` one (then `--nats-prefix` is a usage error: it
 * would be silently ignored). Checked with the transport's own rules and
 * nothing opened, so a malformed URL or prefix is a usage error (exit 2).
 */
export function natsTarget(address: string, prefix: string | undefined): NatsTarget | undefined {
  if (!isNatsAddress(address)) {
    if (prefix !== undefined) throw new UsageError(`--nats-prefix applies to nats:// addresses only, and '${address}' is not one`);
    return undefined;
  }
  return {
    address,
    servers: asUsageError(() => resolveNatsAddress(address).servers),
    prefix: asUsageError(() => checkNatsPrefix(prefix ?? DEFAULT_NATS_PREFIX)),
  };
}

/** A transport for `target`; started by the bus (or the caller), which reports an unreachable server as `NOT_FOUND`. */
export function openNats(target: NatsTarget): NatsTransport {
  return new NatsTransport({ servers: [...target.servers], prefix: target.prefix });
}

/**
 * Resolves once `transport` has heard of `peer`. On NATS a peer is known
 * once it answered this transport's hello, a moment after start: a call
 * sent `to` it before then fails `NOT_FOUND` at once. Call before starting.
 */
export function whenPeerKnown(transport: Transport, peer: string, ms: number): Promise<void> {
  return firstValueFrom(
    transport.peers$.pipe(
      filter((event) => event.type === 'connected' && event.peer.id === peer),
      rxTimeout({
        first: ms,
        with: () => {
          throw new BusError('NOT_FOUND', `no peer '${peer}' answered on NATS within ${ms} ms; check the id (pipebus serve prints its own) and --nats-prefix`, { details: { peer } });
        },
      }),
    ),
  ).then(() => undefined);
}

/** Refuses an option that has no meaning over NATS, naming what to do instead. */
export function refuseOverNats(target: NatsTarget | undefined, given: boolean, option: string, why: string): void {
  if (target !== undefined && given) throw new UsageError(`${option} has no meaning with a nats:// address (${why})`);
}

function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    // The transport's advice, in the CLI's words: its option is a flag here.
    if (BusError.is(error) && error.code === 'INVALID_ARGUMENT') {
      throw new UsageError(error.message.replace(/^NatsTransport: /, '').replace("'prefix'", '--nats-prefix'));
    }
    throw error;
  }
}
