// A forged "no responders" notice: a status-503 message another client
// publishes on a caller's request reply-to. Only the server's own notice
// (the request reached no subscriber) may fail a call with NO_HANDLER; a
// client that never saw the request must not be able to end a call in
// flight by guessing its reply-to (the caller's id is public, call ids count
// up from 1).
import { describe, expect, it } from '@jest/globals';
import { connect, headers } from '@nats-io/transport-node';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { Subject, filter, firstValueFrom } from 'rxjs';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();
const open = fixture.open;


function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited 10 s for ${what}`)), 10_000)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

describe('NatsTransport and forged "no responders" notices', () => {
  it('does not let a client that never saw a call end it with a forged 503 on a guessed reply-to', async () => {
    const P = `atk.nr${process.pid}`;
    const st = new NatsTransport({ servers: fixture.server.url, prefix: P, name: 'svc', heartbeatInterval: 0 });
    const service = new MessageBus(st, { logger: silentLogger });
    const ct = new NatsTransport({ servers: fixture.server.url, prefix: P, name: 'cli', heartbeatInterval: 0 });
    const client = new MessageBus(ct, { logger: silentLogger });
    open.push(client, service);
    const ticks = new Subject<number>();
    let called: () => void = () => undefined;
    const handling = new Promise<void>((resolve) => (called = resolve));
    service.handle('ticks', () => {
      called();
      return ticks;
    });
    await service.start();
    const heard = firstValueFrom(service.transport.peers$.pipe(filter((e) => e.type === 'connected')));
    await client.start();
    await heard;
    await st.flush();

    // Each value or the failure, as it comes.
    const outcomes = new Subject<number | Error>();
    client.request$<number>('ticks', {}, { timeout: 30_000 }).subscribe({ next: (v) => outcomes.next(v), error: (e: Error) => outcomes.next(e) });
    const next = (): Promise<number | Error> => within(firstValueFrom(outcomes), 'the next value of the stream, or its failure');
    let outcome = next();
    // The handler runs (and the responder subscribes to what it returned) before the first value.
    await handling;
    ticks.next(1);
    expect(await outcome).toBe(1);

    // The caller's id is public (presence, any reply-to it sent); call ids count up from 1.
    const raw = await connect({ servers: fixture.server.url });
    open.push(raw);
    outcome = next();
    for (let id = 1; id <= 50; id++) raw.publish(`${P}.in.${ct.peerId}.r.${id}`, undefined, { headers: headers(503, 'No Responders') });
    await raw.flush();
    await ct.flush();
    ticks.next(2);
    expect(await outcome).toBe(2);
    expect(ct.stats().noResponders).toBe(50);
    // The server's own notice still fails a call nobody handles.
    const error = await client.request('nobody.home', {}, { timeout: 30_000 }).catch((e: unknown) => e);
    expect(BusError.is(error, 'NO_HANDLER')).toBe(true);
  });
});
