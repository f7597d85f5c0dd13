import { afterAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { Fragmenter, Kind, encodeMessageFrame } from '@pipebus/core/transport-kit';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { privateRuntimeDir, uniqueGroup } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const runtimeDir = runtime.dir;

/**
 * A domain broadcast (`\\*\mailslot\x`) cannot be exercised under Wine, so
 * its framing is tested through the same code path: local slots configured
 * with its 424-byte frame size.
 */
const FRAME = 424;

function payload(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

describe('mailslot fragmentation at 424-byte frames', () => {
  it('carries a 64 KiB message as fragments of at most 424 bytes and reassembles it', async () => {
    const address = uniqueGroup('frag64');
    const receiver = new MessageBus(new MailslotTransport({ address, runtimeDir, mode: 'read', frameSize: FRAME }), { logger: silentLogger });
    const sender = new MessageBus(new MailslotTransport({ address, runtimeDir, mode: 'write', frameSize: FRAME }), { logger: silentLogger });
    const sizes: number[] = [];
    receiver.transport.frames$.subscribe((f) => sizes.push(f.data.byteLength));
    const arriving = firstValueFrom(receiver.subscribe('files.>'));
    await receiver.start();
    await sender.start();
    try {
      const sent = payload(64 * 1024);
      await sender.publish('files.blob', sent);
      const event = await arriving;
      expect(Buffer.from(event.payload as Uint8Array).equals(Buffer.from(sent))).toBe(true);
      expect(sender.stats().fragmentsOut).toBeGreaterThan(64 * 1024 / FRAME);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(FRAME);
      expect(receiver.stats().reassembly.messagesCompleted).toBe(1);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  it('reassembles fragments that arrive out of order and drops duplicated ones', async () => {
    const address = uniqueGroup('fragdup');
    const slot = new MailslotTransport({ address, runtimeDir, mode: 'read', frameSize: FRAME });
    const receiver = new MessageBus(slot, { logger: silentLogger });
    const arriving = firstValueFrom(receiver.subscribe('files.>').pipe(take(2), toArray()));
    await receiver.start();
    // A raw writer aimed at the receiver's own slot plays a network that reorders and duplicates.
    const wire = new MailslotTransport({ address: slot.path, mode: 'write', raw: true, frameSize: FRAME });
    await wire.start();
    try {
      const sent = payload(8 * 1024);
      const message = encodeMessageFrame({ kind: Kind.Event, id: 0, name: 'files.shuffled', payload: sent, headers: undefined }, msgpackCodec);
      const fragments = new Fragmenter().split(message, FRAME);
      expect(fragments.length).toBeGreaterThan(10);
      // Reverse order, every third fragment twice, and the first one again at the very end.
      const shuffled = [...fragments].reverse().flatMap((f, i) => (i % 3 === 0 ? [f, f] : [f]));
      for (const f of shuffled) await wire.send(f);
      await wire.send(fragments[0]!);
      const marker = encodeMessageFrame({ kind: Kind.Event, id: 0, name: 'files.marker', payload: 1, headers: undefined }, msgpackCodec);
      await wire.send(marker);
      const [event, after] = await arriving;
      expect(event!.topic).toBe('files.shuffled');
      expect(Buffer.from(event!.payload as Uint8Array).equals(Buffer.from(sent))).toBe(true);
      expect(after!.topic).toBe('files.marker'); // the duplicates made no second copy
      const r = receiver.stats().reassembly;
      expect(r.messagesCompleted).toBe(1);
      expect(r.duplicatesDropped + r.lateDropped).toBe(shuffled.length + 1 - fragments.length);
    } finally {
      await Promise.all([wire.close(), receiver.close()]);
    }
  });
});

describe('mailslot raw mode', () => {
  it('passes bytes through untouched, trailing NUL included, both ways', async () => {
    const address = uniqueGroup('raw');
    const reader = new MailslotTransport({ address, runtimeDir, mode: 'read', raw: true });
    const writer = new MailslotTransport({ address, runtimeDir, mode: 'write', raw: true });
    const got = firstValueFrom(reader.frames$.pipe(take(2), toArray()));
    await reader.start();
    await writer.start();
    try {
      const bingo = Buffer.from('Bingo is handsome\0', 'latin1');
      await writer.send(bingo);
      await writer.send(Uint8Array.of(0xff, 0x00, 0x11));
      const [first, second] = await got;
      expect(Buffer.from(first!.data).toString('latin1')).toBe('Bingo is handsome\0');
      expect(Array.from(second!.data)).toEqual([0xff, 0x00, 0x11]);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
