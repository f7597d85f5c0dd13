// Publishes made in one tick reach nats.js together at the end of it (so
// they leave in one socket write: nats.js writes once per microtask, and a
// bus awaiting each publish gave it one frame per microtask), in order, and
// early once 64 KiB are held.
import { describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NatsTransport } from '@pipebus/transport-nats';
import { natsFixture } from './helpers.js';

const fixture = natsFixture();

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('NatsTransport publish batching', () => {
  it('hands the publishes of one tick to nats.js at its end, in order, and early past 64 KiB', async () => {
    const nc = await connect({ servers: fixture.server.url, noEcho: true });
    const published: string[] = [];
    const publish = nc.publish.bind(nc);
    nc.publish = (subject, ...rest) => (published.push(subject), publish(subject, ...rest));
    const bus = new MessageBus(new NatsTransport({ connection: nc, prefix: `batch${process.pid}`, heartbeatInterval: 0 }), { logger: silentLogger });
    await bus.start();
    await tick();
    published.length = 0;
    // Each publish resolves once the transport took it, within this tick.
    for (let i = 0; i < 50; i++) await bus.publish(`t.e${i}`, i);
    expect(published).toEqual([]);
    await tick();
    expect(published.map((s) => s.split('.').at(-1))).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`));

    published.length = 0;
    const big = new Uint8Array(20 * 1024);
    for (let i = 0; i < 3; i++) await bus.publish('t.big', big);
    expect(published).toEqual([]);
    // The fourth passes 64 KiB held: all four go without waiting for the end of the tick.
    await bus.publish('t.big', big);
    expect(published).toHaveLength(4);
    // flush() hands the batch over first: the server has everything sent before it once it resolves.
    published.length = 0;
    await bus.publish('t.last', 1);
    const flushed = (bus.transport as NatsTransport).flush();
    expect(published).toHaveLength(1);
    await flushed;
    await bus.close();
    await nc.close();
  });
});
