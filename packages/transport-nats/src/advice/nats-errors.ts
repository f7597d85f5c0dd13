/** nats.js errors, as BusErrors whose code and message say what to fix. */
import { BusError } from '@pipebus/core';
import { probeNatsServer } from './server-info.js';

/** How long the probe of a failed connect waits for the server's greeting. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * {@link connectError}, and when that says nobody answered, a look at the
 * server's greeting: a server that requires credentials and dropped us
 * refused our login, even when the error nats.js saw was only the reset
 * (Windows can lose the server's "-ERR Authorization Violation" to it).
 */
export async function explainConnectFailure(error: unknown, servers: readonly string[], hasCredentials: boolean): Promise<BusError> {
  const plain = connectError(error, servers);
  if (plain.code !== 'NOT_FOUND' || servers.length === 0) return plain;
  const probes = await Promise.all(servers.map((url) => probeNatsServer(url, PROBE_TIMEOUT_MS)));
  if (!probes.some((p) => p.kind === 'info' && p.info.auth_required === true)) return plain;
  const where = servers.join(', ');
  const message = error instanceof Error ? error.message : String(error);
  return new BusError(
    'ACCESS_DENIED',
    `the NATS server at ${where} requires credentials and closed the connection (${message}): it ${hasCredentials ? 'refused ours' : 'got none'}; check connectOptions (user/pass, token, nkey, creds)`,
    { cause: error, details: { servers: [...servers] } },
  );
}

/** A failed first connect, as a BusError whose code says what to fix. */
export function connectError(error: unknown, servers: readonly string[]): BusError {
  const message = error instanceof Error ? error.message : String(error);
  const where = servers.join(', ');
  if (/auth/i.test(message)) {
    return new BusError('ACCESS_DENIED', `the NATS server at ${where} refused our credentials (${message}); check connectOptions (user/pass, token, nkey, creds)`, { cause: error });
  }
  // A reset, an unreachable host or network, a TCP timeout, a socket closed before the server's INFO (nats.js:
  // "error connecting - node provided an undefined error", seen on Windows for a reset): nothing there speaks NATS to us.
  if (/refused|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|timeout|error connecting/i.test(message)) {
    return new BusError('NOT_FOUND', `no NATS server answered at ${where} (${message}); is nats-server running there?`, { cause: error, details: { servers: [...servers] } });
  }
  if (/unexpected response/i.test(message)) {
    return new BusError('NOT_FOUND', `something at ${where} answered, but not as a NATS server (${message}); check the host and port (nats-server listens on 4222 by default; its monitoring port speaks HTTP)`, {
      cause: error,
      details: { servers: [...servers] },
    });
  }
  return new BusError('OS_ERROR', `could not connect to NATS at ${where}: ${message}; check the URL, and connectOptions (TLS, auth)`, { cause: error });
}

/** A subscription the server refused or that failed: a permission the account lacks, mostly. */
export function subscriptionError(error: Error, subject: string): BusError {
  const denied = /permission/i.test(error.message);
  return new BusError(denied ? 'ACCESS_DENIED' : 'OS_ERROR', `NATS subscription to '${subject}' failed: ${error.message}${denied ? '; the account needs subscribe permission on it' : ''}`, {
    cause: error,
    details: { subject },
  });
}
