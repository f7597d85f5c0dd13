import { describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { bytes, record } from './helpers.js';

/** Which of `promises` have settled, after letting pending callbacks run. */
async function settledFlags(network: MockNetwork, promises: Promise<unknown>[]): Promise<boolean[]> {
  const flags = promises.map(() => false);
  promises.forEach((p, i) => void p.finally(() => (flags[i] = true)).catch(() => undefined));
  await network.clock.advance(0);
  return flags;
}

describe('linkCapacity backpressure', () => {
  it('makes send wait while the link is full and resolves it when a frame is delivered', async () => {
    const network = new MockNetwork({ linkCapacity: 2 });
    network.setFaults({ delay: 10 });
    const server = network.listen('orders');
    const client = network.connect('orders');
    const atServer = record(server);
    await server.start();
    await client.start();
    const sends = [1, 2, 3, 4].map((n) => client.send(bytes(n)));
    expect(await settledFlags(network, sends)).toEqual([true, true, false, false]);
    expect(network.traffic).toHaveLength(2); // waiting frames have not entered the link
    await network.clock.advance(10);
    expect(await settledFlags(network, sends)).toEqual([true, true, true, true]);
    await network.clock.advance(10);
    expect(atServer.bytes()).toEqual([[1], [2], [3], [4]]);
  });

  it('lets a per-transport linkCapacity override the network default', async () => {
    const network = new MockNetwork();
    network.setFaults({ delay: 5 });
    const server = network.listen('orders');
    const client = network.connect('orders', { linkCapacity: 1 });
    await server.start();
    await client.start();
    const sends = [client.send(bytes(1)), client.send(bytes(2))];
    expect(await settledFlags(network, sends)).toEqual([true, false]);
    await network.clock.advance(5);
    expect(await settledFlags(network, sends)).toEqual([true, true]);
  });

  it('rejects sends waiting on a full link with TRANSPORT_CLOSED when the link is severed', async () => {
    const network = new MockNetwork({ linkCapacity: 1 });
    network.setFaults({ delay: 5 });
    const server = network.listen('orders');
    const client = network.connect('orders');
    await server.start();
    await client.start();
    await client.send(bytes(1));
    const waiting = client.send(bytes(2));
    await network.disconnect('orders');
    await expect(waiting).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });

  it('does not count a frame held for reordering, so a capacity-1 link cannot deadlock', async () => {
    const network = new MockNetwork({ linkCapacity: 1 });
    const server = network.listen('orders');
    const client = network.connect('orders');
    const atServer = record(server);
    await server.start();
    await client.start();
    network.reorderNext();
    await client.send(bytes(1));
    await client.send(bytes(2));
    await network.clock.advance(0);
    expect(atServer.bytes()).toEqual([[2], [1]]);
  });
});
