import { BusError } from '@pipebus/core';
import { probeNatsServer } from '@pipebus/transport-nats';
import { openNats, type NatsTarget } from '../address/nats-address.js';
import type { Report } from './doctor-report.js';

/** How long doctor waits for a NATS server's greeting, or for the transport to connect. */
const PROBE_TIMEOUT_MS = 2000;
/**
 * `pipebus doctor nats://…`: does each server answer (its version and
 * `max_payload`, from the INFO a NATS server greets every client with),
 * then does the transport itself connect, with the very error a program
 * would get (`NOT_FOUND` and its advice when nobody answers).
 */
export async function checkNats(target: NatsTarget, report: Report): Promise<void> {
  let answered = 0;
  for (const url of target.servers) {
    const probe = await probeNatsServer(url, PROBE_TIMEOUT_MS);
    if (probe.kind === 'info') {
      answered++;
      const { version, max_payload: maxPayload } = probe.info;
      const extras = [probe.info.tls_required === true ? 'TLS required' : '', probe.info.auth_required === true ? 'credentials required' : ''].filter(Boolean);
      report('ok', `a NATS server answers at ${url}: nats-server ${String(version ?? '?')}, max_payload ${String(maxPayload ?? '?')} bytes${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`);
    } else if (probe.kind === 'not-nats') {
      report('fail', `something listens at ${url} but is not a NATS server (it did not greet with INFO)`, 'check the port: nats-server listens on 4222 unless told otherwise');
    } else {
      // With several servers nats.js uses any that answers: one down is worth a warning only.
      report(target.servers.length > 1 ? 'warn' : 'fail', `no NATS server answers at ${url} (${probe.reason})`, 'is nats-server running there? start one with: nats-server -a HOST -p PORT');
    }
  }
  if (answered === 0) return;
  const transport = openNats(target);
  try {
    await withTimeout(transport.start(), PROBE_TIMEOUT_MS);
    report('ok', `pipebus connects to ${target.address} (subjects under '${target.prefix}.')`);
  } catch (error) {
    const code = BusError.is(error) ? error.code : 'ERROR';
    report('fail', `pipebus cannot connect to ${target.address}: ${code}: ${(error as Error).message}`);
  } finally {
    await transport.close();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BusError('TIMEOUT', `no connection within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
