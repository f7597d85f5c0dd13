import { BusError } from '@pipebus/core';
import { resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { resolvePipeAddress } from '@pipebus/transport-namedpipe';
import { UsageError } from '../usage-error.js';

/**
 * Address checks made before anything is opened, with the transports' own
 * resolvers (pure: no file is touched), so that a malformed address is a
 * usage error (exit 2) and not an operation that failed (exit 1).
 */

/** Throws a {@link UsageError} unless `address` is a pipe address this platform can use. */
export function checkPipeAddress(address: string): void {
  asUsageError(() => resolvePipeAddress(address));
}

/** Throws a {@link UsageError} unless `address` is a mailslot address (group, OS mailslot or datagram socket path). */
export function checkMailslotAddress(address: string): void {
  asUsageError(() => resolveMailslotAddress(address));
}

function asUsageError(resolve: () => unknown): void {
  try {
    resolve();
  } catch (error) {
    // The resolvers' messages already say which forms are valid.
    if (BusError.is(error) && error.code === 'INVALID_ARGUMENT') throw new UsageError(error.message);
    throw error;
  }
}
