import { afterAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { thrown } from '@pipebus/test-support';
import { MailslotTransport, resolveMailslotAddress } from '@pipebus/transport-mailslot';
import { lstatSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { busError, onWindows, privateRuntimeDir, uniqueGroup } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const runtimeDir = runtime.dir;

/** A frame numbered `i` (bytes 0-3), `size` bytes long, first byte 0x10 as a bus message's. */
function numbered(i: number, size = 64): Uint8Array {
  const frame = new Uint8Array(size).fill(7);
  new DataView(frame.buffer).setUint32(0, i);
  frame[0] = 0x10;
  return frame;
}
const numberOf = (data: Uint8Array): number => new DataView(data.buffer, data.byteOffset).getUint32(0) & 0xffffff;

/** A group reader and a raw writer aimed at its slot: what a hostile or broken sender can put there. */
async function readerAndRawWriter(frameSize?: number) {
  const reader = new MailslotTransport({ address: uniqueGroup('bad'), runtimeDir, mode: 'read', logger: silentLogger, ...(frameSize !== undefined && { frameSize }) });
  await reader.start();
  const raw = new MailslotTransport({ address: reader.path, mode: 'write', raw: true });
  await raw.start();
  return { reader, raw, close: () => Promise.all([raw.close(), reader.close()]) };
}

describe('batched datagrams over real slots', () => {
  it('packs the frames of one turn into few datagrams, and the reader unpacks all of them in order', async () => {
    const address = uniqueGroup('batch');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read' });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write' });
    const N = 3000;
    const all = firstValueFrom(reader.frames$.pipe(take(N), toArray()));
    await reader.start();
    await writer.start();
    try {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < N; i++) sends.push(writer.send(numbered(i)));
      await Promise.all(sends);
      const frames = await all;
      expect(frames.map((f) => numberOf(f.data))).toEqual(Array.from({ length: N }, (_, i) => i & 0xffffff));
      expect(frames.every((f) => f.data.length === 64)).toBe(true);
      // 66 bytes a frame in 64 KiB batches: 993 a datagram, so 4 datagrams instead of 3000.
      expect(writer.stats()).toMatchObject({ framesSent: N, deliveries: 4 });
      expect(reader.stats()).toMatchObject({ framesReceived: N, malformedDropped: 0 });
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('carries bus messages: 500 events published without waiting reach a subscriber, in order', async () => {
    const address = uniqueGroup('bus');
    const sub = new MessageBus(new MailslotTransport({ address, runtimeDir, mode: 'read' }), { logger: silentLogger });
    const pub = new MessageBus(new MailslotTransport({ address, runtimeDir, mode: 'write' }), { logger: silentLogger });
    const N = 500;
    const got = firstValueFrom(sub.subscribe<{ i: number }>('orders.>').pipe(take(N), toArray()));
    await sub.start();
    await pub.start();
    try {
      await Promise.all(Array.from({ length: N }, (_, i) => pub.publish('orders.created', { i })));
      expect((await got).map((e) => e.payload.i)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect((pub.transport as MailslotTransport).stats().deliveries).toBeLessThan(N / 10);
    } finally {
      await Promise.all([pub.close(), sub.close()]);
    }
  });

  it('takes a group send into the open batch at once while nothing waits: 3000 sends awaited one by one still make 4 datagrams', async () => {
    const address = uniqueGroup('atonce');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read' });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write' });
    const N = 3000;
    const all = firstValueFrom(reader.frames$.pipe(take(N), toArray()));
    await reader.start();
    await writer.start();
    try {
      // Each await settles within the turn (the frame is taken), so the turn's batch keeps filling:
      // a publisher with a few sends in flight fills whole batches, not one window's worth a turn.
      for (let i = 0; i < N; i++) await writer.send(numbered(i));
      expect((await all).map((f) => numberOf(f.data))).toEqual(Array.from({ length: N }, (_, i) => i & 0xffffff));
      expect(writer.stats().framesSent).toBe(N);
      // Windows writes each full batch on the pool: the frame after it waits for that write in a batch of its own.
      if (onWindows) expect(writer.stats().deliveries).toBeLessThanOrEqual(8);
      else expect(writer.stats().deliveries).toBe(4);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  // Symlinks stand in for a swapped directory; Windows has none to test here.
  (onWindows ? it.skip : it)('refuses the frame that opens a batch with ACCESS_DENIED once the group directory was replaced (checked before any frame is taken)', async () => {
    const address = uniqueGroup('swapped');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read' });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write' });
    await reader.start();
    await writer.start();
    const resolved = resolveMailslotAddress(address, { runtimeDir });
    if (resolved.kind !== 'group') throw new Error('expected a group');
    const dir = resolved.registryDir;
    try {
      await writer.send(numbered(1));
      // That batch is written at the end of the turn; the next send opens a new one.
      await new Promise((resolve) => setImmediate(resolve));
      renameSync(dir, `${dir}.old`);
      symlinkSync(`${dir}.old`, dir);
      const e = await busError(writer.send(numbered(2)));
      expect(e.code).toBe('ACCESS_DENIED');
      expect(writer.stats().deliveries).toBe(1);
    } finally {
      if (lstatSync(dir).isSymbolicLink()) {
        unlinkSync(dir);
        renameSync(`${dir}.old`, dir);
      }
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('writes the open batch on close(): frames sent just before close arrive', async () => {
    const address = uniqueGroup('close');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read' });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write' });
    const all = firstValueFrom(reader.frames$.pipe(take(3), toArray()));
    await reader.start();
    await writer.start();
    try {
      const sends = [0, 1, 2].map((i) => writer.send(numbered(i)));
      await writer.close();
      await Promise.all(sends);
      expect((await all).map((f) => numberOf(f.data))).toEqual([0, 1, 2]);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('sends one datagram per frame with batch: false', async () => {
    const address = uniqueGroup('nobatch');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read' });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write', batch: false });
    const all = firstValueFrom(reader.frames$.pipe(take(20), toArray()));
    await reader.start();
    await writer.start();
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => writer.send(numbered(i))));
      expect((await all).map((f) => numberOf(f.data))).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(writer.stats().deliveries).toBe(20);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('drops malformed batches whole and counts them, and keeps reading', async () => {
    const { reader, raw, close } = await readerAndRawWriter();
    const next = firstValueFrom(reader.frames$);
    try {
      // Claims 3 frames, holds 1; a length past the end; a header cut short; an unknown format.
      await raw.send(Uint8Array.of(0x1f, 1, 3, 0, 1, 0, 0x10));
      await raw.send(Uint8Array.of(0x1f, 1, 1, 0, 0xff, 0xff, 0x10));
      await raw.send(Uint8Array.of(0x1f, 1));
      await raw.send(Uint8Array.of(0x1f, 9, 1, 0, 1, 0, 0x10));
      await raw.send(Uint8Array.of(0x10, 42));
      expect(Array.from((await next).data)).toEqual([0x10, 42]);
      expect(reader.stats()).toMatchObject({ malformedDropped: 4, framesReceived: 1 });
    } finally {
      await close();
    }
  });

  it('drops a batch above the reader frameSize as oversize, and counts it', async () => {
    const { reader, raw, close } = await readerAndRawWriter(424);
    const next = firstValueFrom(reader.frames$);
    try {
      const big = new Uint8Array(1000).fill(0x10);
      big.set([0x1f, 1, 1, 0, 0xe4, 0x03]);
      await raw.send(big);
      await raw.send(Uint8Array.of(0x10, 43));
      expect(Array.from((await next).data)).toEqual([0x10, 43]);
      expect(reader.stats()).toMatchObject({ oversizeDropped: 1, malformedDropped: 0 });
    } finally {
      await close();
    }
  });

  it('hands a raw reader the batch as it came (what a reader that predates batches sees)', async () => {
    const old = new MailslotTransport({ address: uniqueGroup('unused'), runtimeDir, mode: 'read', raw: true });
    await old.start();
    const aimed = new MailslotTransport({ address: old.path, mode: 'write' });
    const next = firstValueFrom(old.frames$);
    await aimed.start();
    try {
      await Promise.all([aimed.send(numbered(1, 8)), aimed.send(numbered(2, 8))]);
      const got = (await next).data;
      expect(Array.from(got.subarray(0, 4))).toEqual([0x1f, 1, 2, 0]);
      expect(got.length).toBe(4 + 2 * (2 + 8));
    } finally {
      await Promise.all([aimed.close(), old.close()]);
    }
  });

  it('refuses batch: true with raw: true', () => {
    expect(thrown(() => new MailslotTransport({ address: uniqueGroup('x'), raw: true, batch: true }), BusError).message).toContain('raw: true');
  });

  // A domain address is a Windows name: elsewhere it is NOT_SUPPORTED before any option is looked at.
  (onWindows ? it : it.skip)('refuses batch: true for a domain broadcast (its 424-byte datagrams stay single frames)', () => {
    expect(thrown(() => new MailslotTransport({ address: '\\\\*\\mailslot\\x', batch: true }), BusError).message).toContain('never batched');
  });
});
