import { firstValueFrom, take, toArray } from 'rxjs';
import { MessageBus, silentLogger } from '@pipebus/core';
import { makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

// Interest routing over real pipes: the server's bus sends an event only to
// the clients that announced a matching pattern. Fences are pings: the link is
// ordered both ways, so a pong proves that everything sent before it arrived.
const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
afterEach(() => pool.closeAll());

async function star(clients: number, relay = false): Promise<{ server: MessageBus; buses: MessageBus[] }> {
  const address = uniqueAddress('interest');
  const server = new MessageBus(pool.server(address), { logger: silentLogger, relay });
  await server.start();
  const buses: MessageBus[] = [];
  for (let i = 0; i < clients; i++) {
    const bus = new MessageBus(pool.client(address), { logger: silentLogger });
    await bus.start();
    buses.push(bus);
  }
  pool.buses(...buses, server);
  return { server, buses };
}

describe('interest routing over named pipes', () => {
  it('a client that did not subscribe receives nothing; a wildcard subscriber gets what matches; unsubscribe stops delivery', async () => {
    const { server, buses } = await star(2);
    const [subscriber, idle] = buses as [MessageBus, MessageBus];
    const got = firstValueFrom(subscriber.subscribe('orders.*').pipe(take(3), toArray()));
    // The announcement left before the ping, on an ordered link.
    await within('fences', Promise.all([subscriber.ping(), idle.ping()]));
    const idleBefore = idle.stats().framesIn;
    for (let i = 0; i < 3; i++) await server.publish('orders.new', i);
    await server.publish('billing.paid', 'not for anyone');
    expect((await within('the events', got)).map((e) => e.payload)).toEqual([0, 1, 2]);
    await within('the fence', idle.ping());
    // The pong only: no event frame reached the client that subscribed to nothing.
    expect(idle.stats().framesIn - idleBefore).toBe(1);
    expect(idle.stats().eventsReceived).toBe(0);
    expect(subscriber.stats().eventsReceived).toBe(3);

    // Once the subscriber's last subscription goes, the server stops sending it anything.
    await within('fence', subscriber.ping());
    const sub = subscriber.subscribe('x').subscribe();
    sub.unsubscribe();
    await within('fence', subscriber.ping());
    const before = subscriber.stats().eventsReceived;
    await server.publish('x', 1);
    await within('fence', subscriber.ping());
    expect(subscriber.stats().eventsReceived).toBe(before);
  });

  it('a relay hub forwards a client event only to the clients that subscribed, and with none interested sends nothing', async () => {
    const { server: hub, buses } = await star(4, true);
    const [publisher, listener, ...others] = buses as [MessageBus, MessageBus, MessageBus, MessageBus];
    const got = firstValueFrom(listener.subscribe('chat.>').pipe(take(1)));
    await within('fences', Promise.all(buses.map((bus) => bus.ping())));
    const out = hub.stats().framesOut;
    await publisher.publish('chat.room', 'hi');
    expect((await within('the event', got)).payload).toBe('hi');
    await publisher.publish('news.today', 'nobody');
    await within('fences', Promise.all(buses.map((bus) => bus.ping())));
    // One relayed event and four pongs.
    expect(hub.stats().framesOut - out).toBe(1 + 4);
    for (const bus of others) expect(bus.stats().eventsReceived).toBe(0);
  });

  it('unsubscribe stops a delivery under way; a client over the server’s maxInterestsPerPeer stays connected and gets every event', async () => {
    const address = uniqueAddress('interest');
    const server = new MessageBus(pool.server(address), { logger: silentLogger, maxInterestsPerPeer: 2 });
    await server.start();
    const transport = pool.client(address);
    const client = new MessageBus(transport, { logger: silentLogger });
    await client.start();
    pool.buses(client, server);
    const states: string[] = [];
    transport.state$.subscribe((state) => states.push(state));

    const got: unknown[] = [];
    const sub = client.subscribe('ticks').subscribe((e) => got.push(e.payload));
    await within('fence', client.ping());
    await server.publish('ticks', 1);
    // The event left before the pong, on the same ordered link.
    await within('fence', client.ping());
    expect(got).toEqual([1]);
    sub.unsubscribe();
    await within('fence', client.ping());
    const before = client.stats().eventsReceived;
    await server.publish('ticks', 2);
    await within('fence', client.ping());
    expect(client.stats().eventsReceived).toBe(before);
    expect(got).toEqual([1]);

    // Three patterns, the server takes two: it says so once and sends everything, and the link stays.
    for (const pattern of ['a', 'b', 'c']) client.subscribe(pattern).subscribe();
    await within('fence', client.ping());
    await server.publish('anything', 3);
    await within('fence', client.ping());
    expect(client.stats().eventsReceived).toBe(before + 1);
    expect(server.stats()).toMatchObject({ peersDropped: 0, interestsRefused: 1 });
    expect(states.filter((state) => state !== 'open')).toEqual([]);
  });
});
