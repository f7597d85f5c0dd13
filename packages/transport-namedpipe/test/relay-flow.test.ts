import { MessageBus, silentLogger } from '@pipebus/core';
import { SERVER_PEER_ID } from '@pipebus/transport-namedpipe';
import { isWindows, makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

// A relay hub's flow control over real pipes. A subscriber stops reading (its
// client holds its own inbound: the same pause a busy process gives), a
// publisher sends far more than the hub may queue for it (maxPendingSendBytes
// 256 KiB, plus the socket buffers). The hold takes effect from the next
// frame, inside the read being relayed, so the bound needs no room for the
// rest of that read. Before flow
// control the hub dropped the subscriber as a flood; now it stops reading the
// publisher, whose publish() waits, and the subscriber gets every event once
// it reads again.
jest.setTimeout(60_000);
const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
afterEach(() => pool.closeAll());

/** Resolves once `done()` holds, checked after each turn of the event loop (no timers). */
async function until(what: string, done: () => boolean): Promise<void> {
  await within(what, (async () => {
    while (!done()) await new Promise((resolve) => setImmediate(resolve));
  })(), 20_000);
}

async function hubWith(relayHoldTimeout: number) {
  const address = uniqueAddress('relayflow');
  const server = pool.server(address, { maxPendingSendBytes: 256 * 1024 });
  const hub = new MessageBus(server, { logger: silentLogger, relay: true, relayHoldTimeout });
  await hub.start();
  const join = async () => {
    const transport = pool.client(address);
    const bus = new MessageBus(transport, { logger: silentLogger });
    await bus.start();
    pool.buses(bus);
    return { bus, transport };
  };
  pool.buses(hub);
  return { hub, server, join };
}

// Small events (each queued frame is charged 768 bytes more): enough to overflow 256 KiB plus the OS buffers of both links.
const EVENTS = isWindows ? 30_000 : 40_000;

describe('relay flow control over named pipes', () => {
  it('a subscriber that stops reading slows the publisher down instead of being dropped, and gets every event in order', async () => {
    const { hub, server, join } = await hubWith(600_000);
    const slow = await join();
    const publisher = await join();
    const seen: number[] = [];
    slow.bus.subscribe('tick').subscribe((e) => seen.push(e.payload as number));
    await within('fences', Promise.all([slow.bus.ping(), publisher.bus.ping()]));
    const release = slow.transport.holdInbound(SERVER_PEER_ID);
    let published = 0;
    const publishing = (async () => {
      for (let i = 0; i < EVENTS; i++) {
        await publisher.bus.publish('tick', i);
        published++;
      }
    })();
    await until('the hub holding the publisher', () => hub.stats().relayHolds > 0);
    expect(server.stats().floodDrops).toBe(0);
    release();
    await within('the publisher finishing', publishing, 30_000);
    await until('every event at the subscriber', () => seen.length === EVENTS);
    expect(published).toBe(EVENTS);
    expect(seen.every((value, i) => value === i)).toBe(true);
    expect(server.stats().floodDrops).toBe(0);
    expect(hub.stats().peersDropped).toBe(0);
  });

  it('a subscriber that never reads again costs the others one relayHoldTimeout: then it is dropped, and a healthy subscriber still gets everything', async () => {
    const { hub, server, join } = await hubWith(200);
    const hung = await join();
    const healthy = await join();
    const publisher = await join();
    let got = 0;
    hung.bus.subscribe('tick').subscribe();
    healthy.bus.subscribe('tick').subscribe(() => got++);
    await within('fences', Promise.all([hung.bus.ping(), healthy.bus.ping(), publisher.bus.ping()]));
    hung.transport.holdInbound(SERVER_PEER_ID);
    for (let i = 0; i < EVENTS; i++) await publisher.bus.publish('tick', i);
    await until('every event at the healthy subscriber', () => got === EVENTS);
    await until('the hung subscriber dropped', () => server.stats().floodDrops === 1);
    expect(hub.stats().relayHolds).toBeGreaterThan(0);
  });
});
