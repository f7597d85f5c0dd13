import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { firstValueFrom } from 'rxjs';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import type { MessageBusOptions } from '@pipebus/core';
import { patternBytes } from '@pipebus/test-support';
import { flush } from './helpers.js';

const buses: MessageBus[] = [];
afterEach(async () => {
  while (buses.length > 0) await buses.pop()!.close();
});

/** Two buses on a mailslot-like mock: one-way broadcast, 424-byte frames, unreliable. */
async function slots(options: MessageBusOptions = {}): Promise<{ network: MockNetwork; writer: MessageBus; reader: MessageBus }> {
  const network = new MockNetwork({ seed: 42 });
  const common = { clock: network.clock, logger: silentLogger, ...options };
  const writer = new MessageBus(network.join('events'), common);
  const reader = new MessageBus(network.join('events'), common);
  buses.push(writer, reader);
  await writer.start();
  await reader.start();
  return { network, writer, reader };
}

describe('fragmentation over 424-byte frames', () => {
  it('carries a 64 KiB message as fragments no larger than 424 bytes and reassembles it', async () => {
    const { network, writer, reader } = await slots();
    const payload = patternBytes(64 * 1024);
    const received = firstValueFrom(reader.subscribe<Uint8Array>('blob'));
    await writer.publish('blob', payload);
    expect(Buffer.from((await received).payload).equals(Buffer.from(payload))).toBe(true);
    const sizes = network.traffic.map((t) => t.size);
    expect(sizes.length).toBeGreaterThan(150);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(424);
    expect(writer.stats().fragmentsOut).toBe(sizes.length);
    expect(reader.stats().reassembly.messagesCompleted).toBe(1);
  });

  it('reassembles despite reordered and duplicated fragments', async () => {
    const { network, writer, reader } = await slots();
    network.setFaults({ reorder: 0.3, duplicate: 0.2 });
    const payload = patternBytes(20_000, 3);
    const got: Uint8Array[] = [];
    reader.subscribe<Uint8Array>('blob').subscribe((e) => got.push(e.payload));
    await writer.publish('blob', payload);
    await writer.publish('blob', payload);
    await network.clock.runAll();
    await flush();
    expect(got).toHaveLength(2);
    for (const g of got) expect(Buffer.from(g).equals(Buffer.from(payload))).toBe(true);
    const stats = reader.stats().reassembly;
    expect(stats.duplicatesDropped).toBeGreaterThan(0);
    expect(network.traffic.some((t) => t.fate === 'reordered')).toBe(true);
  });

  it('drops a message that lost a fragment, after the reassembly timeout, and keeps working', async () => {
    const { network, writer, reader } = await slots({ reassembly: { timeoutMs: 1000 } });
    const got: number[] = [];
    reader.subscribe<{ n: number; pad: Uint8Array }>('blob').subscribe((e) => got.push(e.payload.n));
    network.dropNext(1);
    await writer.publish('blob', { n: 1, pad: patternBytes(2000) });
    await flush();
    expect(reader.stats().reassembly.pendingMessages).toBe(1);
    await network.clock.advance(1000);
    expect(reader.stats().reassembly).toMatchObject({ pendingMessages: 0, expired: 1 });
    await writer.publish('blob', { n: 2, pad: patternBytes(2000) });
    await flush();
    expect(got).toEqual([2]);
  });

  it('fails with FRAME_TOO_LARGE before sending anything above maxMessageSize', async () => {
    const { network, writer } = await slots({ maxMessageSize: 4096 });
    const error = await writer.publish('blob', patternBytes(5000)).catch((e: unknown) => e);
    expect(BusError.is(error, 'FRAME_TOO_LARGE')).toBe(true);
    expect((error as BusError).details).toMatchObject({ max: 4096 });
    expect(network.traffic).toHaveLength(0);
  });

  it('fragments request and response on a duplex transport with small frames', async () => {
    const network = new MockNetwork({ seed: 5 });
    const common = { clock: network.clock, logger: silentLogger };
    const server = new MessageBus(network.listen('small', { capabilities: { maxFrameSize: 100 } }), common);
    const client = new MessageBus(network.connect('small', { capabilities: { maxFrameSize: 100 } }), common);
    buses.push(client, server);
    server.handle('echo', (p: Uint8Array) => p);
    await server.start();
    const payload = patternBytes(3000, 9);
    const echoed = await client.request<Uint8Array>('echo', payload);
    expect(Buffer.from(echoed).equals(Buffer.from(payload))).toBe(true);
    expect(Math.max(...network.traffic.map((t) => t.size))).toBeLessThanOrEqual(100);
  });
});
