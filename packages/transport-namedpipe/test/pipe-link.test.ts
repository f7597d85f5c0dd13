import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import type { LinkOptions } from '../src/link/link-options.js';
import { PipeLink } from '../src/link/pipe-link.js';
import { emptyStats } from '../src/link/pipe-stats.js';
import { FrameDecoder } from '../src/framing/frame-decoder.js';
import { framed, socketPair as connectedPair, within } from './helpers.js';

// The link on its own, over a real socket pair: what it writes is read back
// through a FrameDecoder, so order and framing are checked byte for byte.

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/** A connected socket pair: `ours` gets the link, `theirs` is read raw. */
async function socketPair(): Promise<{ ours: net.Socket; theirs: net.Socket }> {
  const pair = await connectedPair('link');
  cleanup.push(pair.close);
  return pair;
}

const OPTIONS: LinkOptions = { raw: false, maxFrameSize: 1 << 20, maxPendingSendBytes: 1 << 22, pauseReadsWhenBlocked: false, label: 'test peer' };

function link(socket: net.Socket, closed: (reason: string) => void = () => {}): PipeLink {
  return new PipeLink(socket, OPTIONS, emptyStats(), { onFrame: () => {}, onClose: closed });
}

/** Collects `count` frames arriving on `socket`. */
function readFrames(socket: net.Socket, count: number): Promise<Uint8Array[]> {
  const decoder = new FrameDecoder(1 << 22);
  const frames: Uint8Array[] = [];
  return within(`${count} frames`, new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (frame) => frames.push(frame));
      if (frames.length >= count) resolve(frames);
    });
  }));
}

const frame = (n: number, size = 8): Uint8Array => new Uint8Array(size).fill(n & 0xff);

/** Counts the socket's write() calls from now on. */
function countWrites(socket: net.Socket): () => number {
  let writes = 0;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (...args) => {
    writes++;
    return write(...args);
  };
  return () => writes;
}

/** Whether `promise` has settled by the time the microtasks queued now have run. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await Promise.resolve();
  await Promise.resolve();
  return settled;
}

describe('PipeLink', () => {
  it('writes the small frames of one tick as one buffer, and their sends resolve at once', async () => {
    const { ours, theirs } = await socketPair();
    const l = link(ours);
    const writes = countWrites(ours);
    const arriving = readFrames(theirs, 3);
    const sends = [l.send(frame(1)), l.send(frame(2)), l.send(frame(3))];
    expect(new Set(sends).size).toBe(1);
    expect(await settledNow(sends[0]!)).toBe(true);
    expect((await arriving).map((f) => f[0])).toEqual([1, 2, 3]);
    expect(writes()).toBe(1);
  });

  it('a caller awaiting every send still fills whole batches (one write per 64 KiB, not per frame)', async () => {
    const { ours, theirs } = await socketPair();
    const l = link(ours);
    const writes = countWrites(ours);
    const count = 1000;
    const arriving = readFrames(theirs, count);
    for (let i = 0; i < count; i++) await l.send(frame(i, 100));
    expect((await arriving).map((f) => f[0])).toEqual(Array.from({ length: count }, (_, i) => i & 0xff));
    // 1000 frames of 104 bytes on the wire: two 64 KiB batches on a roomy
    // socket; a Windows pipe's smaller buffer makes the link wait for drain
    // once, and the frames that waited go in a batch of their own.
    expect(writes()).toBeLessThanOrEqual(10);
  });

  it('once the socket is full, a send waits until the peer reads again, and nothing is lost', async () => {
    const { ours, theirs } = await socketPair();
    theirs.pause();
    const l = link(ours);
    const sends: Array<Promise<void>> = [];
    // Fill the OS buffers and the socket's own until the link stops taking frames at once.
    for (let i = 0; i < 10_000 && (sends.length === 0 || (await settledNow(sends[sends.length - 1]!))); i++) sends.push(l.send(frame(i, 8 * 1024)));
    const last = sends[sends.length - 1]!;
    expect(await settledNow(last)).toBe(false);
    const arriving = readFrames(theirs, sends.length);
    theirs.resume();
    await within('the waiting send', last);
    expect((await arriving).map((f) => f[0])).toEqual(sends.map((_, i) => i & 0xff));
  });

  it('links sending the same frames in one tick (a broadcast) write one shared buffer; a link with other frames builds its own', async () => {
    const pairs = [await socketPair(), await socketPair(), await socketPair()];
    const written: unknown[][] = pairs.map(() => []);
    pairs.forEach(({ ours }, i) => {
      const write = ours.write.bind(ours) as (...args: unknown[]) => boolean;
      (ours as unknown as { write: (...args: unknown[]) => boolean }).write = (...args) => {
        written[i]!.push(args[0]);
        return write(...args);
      };
    });
    const links = pairs.map(({ ours }) => link(ours));
    const arriving = pairs.map(({ theirs }, i) => readFrames(theirs, i === 2 ? 4 : 3));
    const shared = [frame(1), frame(2), frame(3)];
    for (const f of shared) for (const l of links.slice(0, 2)) void l.send(f);
    // The third link gets one frame more: its batch differs, so it is built apart.
    for (const f of [...shared, frame(4)]) void links[2]!.send(f);
    const frames = await Promise.all(arriving);
    expect(frames.map((got) => got.map((f) => f[0]))).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3, 4]]);
    expect(written[0]).toHaveLength(1);
    expect(written[1]![0]).toBe(written[0]![0]);
    expect(written[2]![0]).not.toBe(written[0]![0]);
  });

  it('keeps the order of small and large frames sent in one tick', async () => {
    const { ours, theirs } = await socketPair();
    const l = link(ours);
    const arriving = readFrames(theirs, 5);
    const large = 64 * 1024;
    await Promise.all([l.send(frame(1)), l.send(frame(2, large)), l.send(frame(3)), l.send(frame(4, large)), l.send(frame(5))]);
    const frames = await arriving;
    expect(frames.map((f) => [f[0], f.byteLength])).toEqual([[1, 8], [2, large], [3, 8], [4, large], [5, 8]]);
  });

  it('writes a batch early once it holds 64 KiB, and every send resolves, in order', async () => {
    const { ours, theirs } = await socketPair();
    const l = link(ours);
    const count = 100;
    const arriving = readFrames(theirs, count);
    const sends = Array.from({ length: count }, (_, i) => l.send(frame(i, 1000)));
    await Promise.all(sends);
    // Batched: far fewer promises than sends (two 64 KiB batches on a roomy
    // socket; where the first write fills the OS buffer, as on Windows pipes,
    // the rest wait in the queue with promises of their own).
    expect(new Set(sends).size).toBeLessThan(count / 2);
    expect((await arriving).map((f) => f[0])).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('cutting the link writes the frames it took first; later sends reject with TRANSPORT_CLOSED', async () => {
    const { ours, theirs } = await socketPair();
    const reasons: string[] = [];
    const l = link(ours, (reason) => reasons.push(reason));
    const arriving = readFrames(theirs, 2);
    await Promise.all([l.send(frame(1)), l.send(frame(2))]);
    l.destroy('cut by the test');
    expect((await arriving).map((f) => f[0])).toEqual([1, 2]);
    await expect(l.send(frame(3))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await within('onClose', new Promise<void>((resolve) => (reasons.length > 0 ? resolve() : ours.once('close', () => resolve()))));
    expect(reasons).toEqual(['cut by the test']);
  });

  it('delivers nothing after the owner cuts the link, even later in the same read chunk', async () => {
    const { ours, theirs } = await socketPair();
    const seen: number[] = [];
    let gone!: () => void;
    const closed = new Promise<void>((resolve) => (gone = resolve));
    const l: PipeLink = new PipeLink(ours, OPTIONS, emptyStats(), {
      onFrame: (data) => {
        seen.push(data[0]!);
        // The owner rejects frame 2 (as the bus does with an undecodable one) and cuts the link.
        if (data[0] === 2) l.destroy('rejected frame 2');
      },
      onClose: () => gone(),
    });
    // One write, so the four frames arrive in one chunk.
    theirs.write(Buffer.concat([1, 2, 3, 4].map((n) => framed(Uint8Array.of(n)))));
    await within('the link to close', closed);
    expect(seen).toEqual([1, 2]);
  });

  it('delivers nothing after an oversize length prefix in the same chunk', async () => {
    const { ours, theirs } = await socketPair();
    const seen: number[] = [];
    let gone!: (reason: string) => void;
    const closed = new Promise<string>((resolve) => (gone = resolve));
    new PipeLink(ours, { ...OPTIONS, maxFrameSize: 16 }, emptyStats(), { onFrame: (data) => seen.push(data[0]!), onClose: (reason) => gone(reason) });
    const oversize = Buffer.from([0, 0, 1, 0]); // 256 > maxFrameSize 16
    theirs.write(Buffer.concat([framed(Uint8Array.of(1)), oversize, framed(Uint8Array.of(3))]));
    expect(await within('the link to close', closed)).toMatch(/above maxFrameSize/);
    expect(seen).toEqual([1]);
  });
});
