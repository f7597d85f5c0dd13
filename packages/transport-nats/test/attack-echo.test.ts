// A careless user: an application connection opened without noEcho. NATS then
// hands a client its own messages, so a bus that handles a method and calls it
// (or sits in the queue group it calls) would be handed its own requests, which
// the transport drops: the call hung until its timeout, and a queue group lost
// the calls NATS gave to the caller itself. Such a connection is refused at
// start(), with the option to set.
import { describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { thrown } from '@pipebus/test-support';
import { NatsTransport } from '@pipebus/transport-nats';
import { cluster, natsFixture, ready } from './helpers.js';

const fixture = natsFixture();
const open = fixture.open;


let n = 0;

async function app(noEcho: boolean | undefined): Promise<NatsConnection> {
  const nc = await connect({ servers: fixture.server.url, ...(noEcho !== undefined && { noEcho }) });
  open.push(nc);
  return nc;
}

describe('NatsTransport over a connection that echoes its own messages', () => {
  it('refuses an application connection opened without noEcho at start(), saying what to set, and leaves it open', async () => {
    const nc = await app(undefined);
    const transport = new NatsTransport({ connection: nc, prefix: `echo.e${process.pid}x${n++}`, heartbeatInterval: 0 });
    const bus = new MessageBus(transport, { logger: silentLogger });
    open.push(bus);
    bus.handle('m', () => 'me', { queue: 'q' });
    const error = await bus.start().then(() => undefined, (e: unknown) => e);
    expect(BusError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as BusError).message).toMatch(/noEcho: true/);
    expect(transport.state).toBe('idle');
    expect(nc.isClosed()).toBe(false);
  });

  it("refuses connectOptions.noEcho: false when it connects itself", () => {
    const error = thrown(() => new NatsTransport({ servers: fixture.server.url, connectOptions: { noEcho: false } }), BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/noEcho/);
  });

  it('with noEcho, a bus calling a method only it handles gets NO_HANDLER at once, not a TIMEOUT', async () => {
    const nc = await app(true);
    const bus = new MessageBus(new NatsTransport({ connection: nc, prefix: `echo.e${process.pid}x${n++}`, heartbeatInterval: 0 }), { logger: silentLogger });
    open.push(bus);
    bus.handle('m', () => 'me', { queue: 'q' });
    await bus.start();
    const error = await bus.request('m', {}, { timeout: 60_000 }).catch((e: unknown) => e);
    expect(BusError.is(error, 'NO_HANDLER')).toBe(true);
  });

  it('a member of the queue group it calls has every call answered by the other member', async () => {
    const buses: MessageBus[] = [];
    const [caller, other] = await cluster(fixture.server, 2, buses);
    open.push(caller!, other!);
    caller!.handle('m', () => 'caller', { queue: 'q' });
    other!.handle('m', () => 'other', { queue: 'q' });
    await ready(caller!, other!);
    const answers = await Promise.all(Array.from({ length: 40 }, () => caller!.request('m', {}, { timeout: 60_000 })));
    expect(new Set(answers)).toEqual(new Set(['other']));
  });
});
