import { describe, expect, it } from '@jest/globals';
import { MockNetwork, type FrameFate, type MockTransport } from '@pipebus/transport-mock';
import { bytes, record, type Received } from './helpers.js';

interface Pipe {
  network: MockNetwork;
  server: MockTransport;
  client: MockTransport;
  atServer: Received;
  atClient: Received;
}

async function pipe(seed?: number): Promise<Pipe> {
  const network = new MockNetwork(seed === undefined ? {} : { seed });
  const server = network.listen('orders');
  const client = network.connect('orders');
  const atServer = record(server);
  const atClient = record(client);
  await server.start();
  await client.start();
  return { network, server, client, atServer, atClient };
}

async function sendAll(from: MockTransport, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await from.send(bytes(i));
}

describe('fault injection', () => {
  it('dropNext loses the next n frames and records them as dropped', async () => {
    const { network, client, atServer } = await pipe();
    network.dropNext(2);
    await sendAll(client, 4);
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[2], [3]]);
    expect(network.traffic.map((t) => [t.seq, t.fate, t.dropReason])).toEqual([
      [1, 'dropped', 'fault'],
      [2, 'dropped', 'fault'],
      [3, 'delivered', undefined],
      [4, 'delivered', undefined],
    ]);
  });

  it('duplicateNext delivers a frame twice, copy right after the original', async () => {
    const { network, client, atServer } = await pipe();
    network.duplicateNext(1);
    await sendAll(client, 2);
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[0], [0], [1]]);
    expect(atServer.frames[0]!.data).not.toBe(atServer.frames[1]!.data); // separate copies
    expect(network.traffic.map((t) => t.fate)).toEqual(['duplicated', 'delivered']);
  });

  it('reorderNext holds a frame and delivers it after the one after it', async () => {
    const { network, client, atServer } = await pipe();
    network.reorderNext();
    await sendAll(client, 3);
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[1], [0], [2]]);
    expect(network.traffic.map((t) => t.fate)).toEqual(['reordered', 'delivered', 'delivered']);
  });

  it('releases a held frame that nothing followed when the clock next runs, not recording it as reordered', async () => {
    const { network, client, atServer } = await pipe();
    network.reorderNext();
    await client.send(bytes(1));
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[1]]);
    expect(network.traffic.map((t) => t.fate)).toEqual(['delivered']);
    expect(network.clock.pendingTimers).toBe(0);
  });

  it('corruptNext flips one byte of the delivered copy and records where', async () => {
    const { network, client, atServer } = await pipe();
    network.corruptNext();
    await client.send(bytes(10, 20, 30, 40));
    await network.clock.advance(0);
    const [entry] = network.traffic;
    expect(entry).toMatchObject({ fate: 'corrupted', data: bytes(10, 20, 30, 40) });
    const at = entry!.corruptedAt!;
    const expected = [10, 20, 30, 40];
    expected[at] = expected[at]! ^ 0xff;
    expect(atServer.bytes()).toEqual([expected]);
  });

  it('applies one-shots only to the links the filter selects', async () => {
    const { network, server, client, atServer, atClient } = await pipe();
    network.dropNext(1, { from: 'orders' }); // listener → clients only
    await client.send(bytes(1));
    await server.send(bytes(2));
    await server.send(bytes(3));
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[1]]);
    expect(atClient.bytes()).toEqual([[3]]);
    expect(network.framesBetween('orders', 'client').map((t) => t.fate)).toEqual(['dropped', 'delivered']);
  });

  it('delays frames in virtual time and records the delay', async () => {
    const { network, client, atServer } = await pipe();
    network.setFaults({ delay: 30 });
    await client.send(bytes(1));
    await network.clock.advance(29);
    expect(atServer.frames).toEqual([]);
    await network.clock.advance(1);
    expect(atServer.bytes()).toEqual([[1]]);
    expect(network.traffic[0]).toMatchObject({ time: 0, fate: 'delayed', delayMs: 30 });
  });

  it('draws random delays from [min, max], which may reorder frames', async () => {
    const { network, client, atServer } = await pipe(3);
    network.setFaults({ delay: { min: 1, max: 50 } });
    await sendAll(client, 20);
    await network.clock.advance(50);
    const delays = network.traffic.map((t) => t.delayMs!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(50);
    expect(atServer.frames).toHaveLength(20);
    // Frames arrive in order of due time (send order among equal delays).
    const byArrival = network.traffic.map((t, i) => ({ i, due: t.delayMs! })).sort((p, q) => p.due - q.due || p.i - q.i).map((p) => [p.i]);
    expect(atServer.bytes()).toEqual(byArrival);
  });

  it('stops all faults on clearFaults, one-shots included', async () => {
    const { network, client, atServer } = await pipe();
    network.setFaults({ drop: 1 });
    network.corruptNext();
    network.clearFaults();
    await sendAll(client, 2);
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[0], [1]]);
  });

  it('lets the latest matching rule win where filters overlap', async () => {
    const { network, server, client, atServer, atClient } = await pipe();
    network.setFaults({ drop: 1 });
    network.setFaults({}, { to: 'orders' }); // the client → server link is spared
    await client.send(bytes(1));
    await server.send(bytes(2));
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[1]]);
    expect(atClient.bytes()).toEqual([]);
  });

  it('rejects a probability outside 0..1', () => {
    expect(() => new MockNetwork().setFaults({ drop: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('reproduces the same fates from the same seed, and different ones from another', async () => {
    const fates = async (seed: number): Promise<FrameFate[]> => {
      const { network, client } = await pipe(seed);
      network.setFaults({ drop: 0.2, duplicate: 0.2, reorder: 0.2, corrupt: 0.2, delay: { min: 0, max: 3 } });
      await sendAll(client, 100);
      await network.clock.runAll();
      return network.traffic.map((t) => t.fate);
    };
    const first = await fates(42);
    expect(await fates(42)).toEqual(first);
    expect(await fates(43)).not.toEqual(first);
    for (const fate of ['dropped', 'duplicated', 'reordered', 'corrupted', 'delayed', 'delivered'] as const) expect(first).toContain(fate);
  });

  it('counts what arrived under random faults exactly as the traffic record says', async () => {
    const { network, client, atServer } = await pipe(7);
    network.setFaults({ drop: 0.3, duplicate: 0.3 });
    await sendAll(client, 200);
    await network.clock.advance(0);
    const copies = network.traffic.reduce((n, t) => n + (t.fate === 'dropped' ? 0 : t.fate === 'duplicated' ? 2 : 1), 0);
    expect(atServer.frames).toHaveLength(copies);
  });
});
