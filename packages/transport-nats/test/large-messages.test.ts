// Messages above the server's max_payload (1 MiB by default) over a real
// nats-server: byte-exact at 16 MiB to a single handler, through a queue
// group (where fragments 1..n are pulled by the member that got fragment 0),
// to several subscribers; the pull store's bound; fragmentation turned off.
import { describe, expect, it } from '@jest/globals';
import { BusError, type MessageBus } from '@pipebus/core';
import { firstValueFrom, take, toArray } from 'rxjs';
import { cluster, nats, natsFixture, ready } from './helpers.js';

const fixture = natsFixture();
const buses = fixture.open;


const MiB = 1024 * 1024;
/** Room for a 16 MiB payload plus its envelope. */
const big = { bus: { maxMessageSize: 17 * MiB } };

/** Bytes no two positions of which are likely equal by accident (a shifted or dropped fragment shows). */
function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('NatsTransport, messages above max_payload', () => {
  it('round-trips a 16 MiB payload byte-exact through one handler, there and back', async () => {
    const [client, service] = await cluster(fixture.server, 2, buses, big);
    service!.handle('echo', (p: Uint8Array) => p);
    await ready(service!);
    const payload = pattern(16 * MiB, 1);
    const answer = await client!.request<Uint8Array>('echo', payload, { timeout: 60_000 });
    expect(answer.byteLength).toBe(payload.byteLength);
    expect(same(answer, payload)).toBe(true);
    expect(client!.stats().fragmentsOut).toBeGreaterThan(16);
  }, 60_000);

  it('round-trips 16 MiB through a queue group of two: one member gets fragment 0 and pulls the rest', async () => {
    const [client, a, b] = await cluster(fixture.server, 3, buses, big);
    a!.handle('echo', (p: Uint8Array) => p, { queue: 'g' });
    b!.handle('echo', (p: Uint8Array) => p, { queue: 'g' });
    await ready(a!, b!);
    for (let i = 0; i < 3; i++) {
      const payload = pattern(16 * MiB, 10 + i);
      const answer = await client!.request<Uint8Array>('echo', payload, { timeout: 60_000 });
      expect(same(answer, payload)).toBe(true);
    }
    // Each request was handled once, by one member, and no member holds half a message.
    expect(a!.stats().requestsHandled + b!.stats().requestsHandled).toBe(3);
    expect(a!.stats().reassembly.pendingMessages + b!.stats().reassembly.pendingMessages).toBe(0);
    // The sender's store let each message go once its one receiver had it all.
    expect(nats(client!).stats().fragmentStoreMessages).toBe(0);
  }, 90_000);

  it('delivers a 3 MiB event whole to each of two subscribers and to a queue group member', async () => {
    const [publisher, s1, s2, g1, g2] = await cluster(fixture.server, 5, buses, big);
    const first = firstValueFrom(s1!.subscribe('big.*').pipe(take(1), toArray()));
    const second = firstValueFrom(s2!.subscribe('big.>').pipe(take(1), toArray()));
    const grouped: Uint8Array[] = [];
    let groupHeard: () => void = () => undefined;
    const heardInGroup = new Promise<void>((resolve) => (groupHeard = resolve));
    for (const member of [g1!, g2!]) {
      member.subscribe('big.one', { queue: 'g' }).subscribe((e) => {
        grouped.push(e.payload as Uint8Array);
        groupHeard();
      });
    }
    await ready(s1!, s2!, g1!, g2!);
    const payload = pattern(3 * MiB, 7);
    await publisher!.publish('big.one', payload);
    const [[e1], [e2]] = await Promise.all([first, second]);
    expect(same(e1!.payload as Uint8Array, payload)).toBe(true);
    expect(same(e2!.payload as Uint8Array, payload)).toBe(true);
    // The group's member pulls like the others; the server handed fragment 0 to one member only, decided when
    // the publisher's flush returns, and each member has what the server sent it once its own flush returns.
    await heardInGroup;
    await ready(publisher!);
    await ready(g1!, g2!);
    expect(grouped).toHaveLength(1);
    expect(same(grouped[0]!, payload)).toBe(true);
  }, 60_000);

  it('refuses a large message with BUSY before sending anything when the pull store is full', async () => {
    const [publisher] = await cluster(fixture.server, 1, buses, { ...big, transport: { fragmentStore: { maxBytes: 4 * MiB } } });
    // Nobody pulls: the first stays in the store for its TTL.
    await publisher!.publish('big.one', pattern(3 * MiB, 1));
    const error = await publisher!.publish('big.two', pattern(3 * MiB, 2)).catch((e: unknown) => e);
    expect(BusError.is(error, 'BUSY')).toBe(true);
    expect((error as Error).message).toMatch(/fragmentStore\.maxBytes/);
    expect(nats(publisher!).stats().fragmentStoreMessages).toBe(1);
  });

  it('with fragmentation off, fails a message above max_payload with FRAME_TOO_LARGE and advice, on a shared subject or to a peer', async () => {
    const [client, service] = await cluster(fixture.server, 2, buses, { ...big, transport: { fragmentation: false } });
    service!.handle('echo', (p: Uint8Array) => p);
    await ready(service!);
    const error = await client!.request('echo', pattern(2 * MiB, 1)).catch((e: unknown) => e);
    expect(BusError.is(error, 'FRAME_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toMatch(/fragmentation is off.*max_payload/);
    expect(service!.stats().framesIn).toBe(0);
    const direct = await client!.request('echo', pattern(2 * MiB, 1), { to: nats(service!).peerId }).catch((e: unknown) => e);
    expect(BusError.is(direct, 'FRAME_TOO_LARGE')).toBe(true);
    // Small messages still go.
    expect(await client!.request('echo', Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });
});
