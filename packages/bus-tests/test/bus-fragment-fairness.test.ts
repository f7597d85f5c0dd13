import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { MessageBus, silentLogger } from '@pipebus/core';
import { firstFragment, patternBytes } from '@pipebus/test-support';
import { flush } from './helpers.js';

// The reassembler's own fairness rules are tested in core (fragment-fairness.test.ts);
// here, the same rules seen through a bus over mock links.

const MiB = 1024 * 1024;

/** A first fragment (index 0 of 424-byte frames) announcing a message of `total` bytes. */
const claim = (senderId: number, sequence: number, total: number): Uint8Array => firstFragment(senderId, sequence, total);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

describe('a sender with many peer ids (one process, a socket name per message)', () => {
  it('on the bus: peers with one pid and different ids share one quota, so an honest publisher is served in full', async () => {
    const network = new MockNetwork({ seed: 1 });
    const reassembly = { maxBufferedBytes: 64 * 1024, maxBufferedBytesPerSender: 32 * 1024, maxPendingMessages: 16, maxPendingMessagesPerSender: 4 };
    const victim = new MessageBus(network.join('grp'), { clock: network.clock, logger: silentLogger, maxMessageSize: 16 * 1024, reassembly });
    const publisher = new MessageBus(network.join('grp', { pid: 100 }), { clock: network.clock, logger: silentLogger, localDelivery: false });
    // One attacking process, a fresh peer id per partial message it never completes.
    const sybils = Array.from({ length: 40 }, () => network.join('grp', { pid: 666 }));
    cleanup.push(async () => {
      for (const t of sybils) await t.close();
      await publisher.close();
      await victim.close();
    });
    let got = 0;
    victim.subscribe('h.>').subscribe(() => got++);
    await victim.start();
    await publisher.start();
    for (const t of sybils) await t.start();
    for (let m = 0; m < 20; m++) {
      // The honest message goes out in fragments, with the attack interleaved.
      const sending = publisher.publish(`h.${m}`, patternBytes(8000, m + 1));
      for (let i = 0; i < 40; i++) await sybils[i]!.send(claim(0xbad, m * 40 + i, 16 * 1024));
      await sending;
      await flush();
    }
    await flush();
    expect(got).toBe(20);
    expect(victim.stats().reassembly.pendingMessages).toBeLessThanOrEqual(4);
  });
});

describe('fragments on a transport that never needs them', () => {
  it('drops a peer that sends a fragment over a reliable transport whose frames hold any message', async () => {
    const network = new MockNetwork({ seed: 1 });
    const big = { capabilities: { maxFrameSize: 16 * MiB } };
    const server = new MessageBus(network.listen('svc', big), { clock: network.clock, logger: silentLogger });
    server.handle('ok', () => 'fine');
    await server.start();
    const rogue = network.connect('svc', big);
    await rogue.start();
    const good = new MessageBus(network.connect('svc', big), { clock: network.clock, logger: silentLogger });
    cleanup.push(async () => {
      await good.close();
      await rogue.close();
      await server.close();
    });
    await rogue.send(claim(1, 1, 16 * MiB));
    await flush();
    expect(server.stats()).toMatchObject({ peersDropped: 1, decodeFailed: 1 });
    expect(server.stats().reassembly.fragmentsReceived).toBe(0);
    await expect(good.request('ok')).resolves.toBe('fine');
  });

  it('forgets the partial messages of a peer that disconnects', async () => {
    const network = new MockNetwork({ seed: 1 });
    const small = { capabilities: { maxFrameSize: 424 } };
    const server = new MessageBus(network.listen('svc', small), { clock: network.clock, logger: silentLogger });
    await server.start();
    const rogue = network.connect('svc', small);
    await rogue.start();
    cleanup.push(() => server.close());
    await rogue.send(claim(1, 1, 1_000_000));
    await flush();
    expect(server.stats().reassembly.pendingMessages).toBe(1);
    await rogue.close();
    await flush();
    expect(server.stats().reassembly).toMatchObject({ pendingMessages: 0, bufferedBytes: 0 });
  });

  it('still reassembles where frames are smaller than maxMessageSize', async () => {
    const network = new MockNetwork({ seed: 1 });
    const small = { capabilities: { maxFrameSize: 4096 } };
    const server = new MessageBus(network.listen('svc', small), { clock: network.clock, logger: silentLogger });
    const client = new MessageBus(network.connect('svc', small), { clock: network.clock, logger: silentLogger });
    cleanup.push(async () => {
      await client.close();
      await server.close();
    });
    server.handle('size', (p: Uint8Array) => p.byteLength);
    await server.start();
    await expect(client.request('size', patternBytes(100_000))).resolves.toBe(100_000);
    expect(server.stats().peersDropped).toBe(0);
  });
});
