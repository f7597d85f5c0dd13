// The bus's own promises over NATS at the edges: 100 events published while
// the server is down all arrive after it is back (on their topic subjects,
// through the subscriber's re-made subscription), a request made then is
// answered after the reconnect, and close() sends what it was given first.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MessageBus, silentLogger, type TransportState } from '@pipebus/core';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { cluster, nats, ready } from './helpers.js';

let server: NatsServerHandle;
const buses: MessageBus[] = [];

beforeEach(async () => {
  server = await startNatsServer();
});
afterEach(async () => {
  await Promise.allSettled(buses.splice(0).map((b) => b.close()));
  await server.stop();
});

const inState = (bus: MessageBus, state: TransportState): Promise<unknown> => firstValueFrom(bus.transport.state$.pipe(filter((s) => s === state)));
// Retry the dial every 20 ms, for ever: the restart comes back on the same port.
const redial = { transport: { connectOptions: { reconnectTimeWait: 20, maxReconnectAttempts: -1 } } };

describe('a MessageBus over NATS across a server restart', () => {
  it('delivers the 100 events published while the server was down, in order, and answers a request made then', async () => {
    const [publisher, subscriber] = await cluster(server, 2, buses, redial);
    const arriving = firstValueFrom(subscriber!.subscribe('ticks.*').pipe(take(100), toArray()));
    subscriber!.handle('status', () => 'up');
    await ready(subscriber!);
    const down = [inState(publisher!, 'reconnecting'), inState(subscriber!, 'reconnecting')];
    await server.kill();
    await Promise.all(down);
    for (let i = 0; i < 100; i++) await publisher!.publish(`ticks.t${i % 3}`, i);
    expect(nats(publisher!).stats().reconnectBuffered).toBe(100);
    // A request made while the link is down waits for the transport to open again (waitForReady), then goes.
    const answer = publisher!.request('status', {}, { timeout: 30_000, waitForReady: true });
    await server.restart();
    expect((await arriving).map((e) => e.payload)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await answer).toBe('up');
    expect(nats(publisher!).stats()).toMatchObject({ reconnectBuffered: 0, reconnectRejected: 0 });
  }, 60_000);
});

describe('close() over NATS', () => {
  it('sends every event it was given before it closes the connection', async () => {
    const [publisher, subscriber] = await cluster(server, 2, buses);
    const arriving = firstValueFrom(subscriber!.subscribe('last.words').pipe(take(1000), toArray()));
    await ready(subscriber!);
    // Each publish resolves once the transport took it: then it sits in nats.js's outbound buffer, not yet on the wire.
    await Promise.all(Array.from({ length: 1000 }, (_, i) => publisher!.publish('last.words', i)));
    await publisher!.close();
    expect((await arriving).map((e) => e.payload)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('returns within closeTimeout when the server is gone, and says how many buffered frames were not sent', async () => {
    const transport = new NatsTransport({ servers: server.url, prefix: `close${process.pid}`, closeTimeout: 200, connectOptions: { reconnectTimeWait: 20, maxReconnectAttempts: -1 } });
    const bus = new MessageBus(transport, { logger: silentLogger });
    buses.push(bus);
    await bus.start();
    const errors: Error[] = [];
    transport.events.on('error', (e: Error) => errors.push(e));
    const down = inState(bus, 'reconnecting');
    await server.kill();
    await down;
    await bus.publish('nobody.hears', 1);
    await bus.close();
    expect(transport.state).toBe('closed');
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('1 buffered frames were not sent')]);
  });
});
