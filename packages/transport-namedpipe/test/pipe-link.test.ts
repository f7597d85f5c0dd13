import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { PipeLink, type LinkOptions } from '../src/link/pipe-link.js';
import { emptyStats } from '../src/link/pipe-stats.js';
import { FrameDecoder } from '../src/framing/frame-decoder.js';
import { isWindows, within } from './helpers.js';

// The link on its own, over a real socket pair: what it writes is read back
// through a FrameDecoder, so order and framing are checked byte for byte.

let counter = 0;
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/** A connected socket pair: `ours` gets the link, `theirs` is read raw. */
async function socketPair(): Promise<{ ours: net.Socket; theirs: net.Socket }> {
  const address = isWindows ? `\\\\.\\pipe\\pipebus-link-test-${process.pid}-${++counter}` : path.join(os.tmpdir(), `pblink-${process.pid}-${++counter}.sock`);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(address, resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const ours = net.connect(address);
  await new Promise<void>((resolve) => ours.once('connect', resolve));
  const theirs = await accepted;
  cleanup.push(() => {
    ours.destroy();
    theirs.destroy();
    server.close();
  });
  return { ours, theirs };
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

describe('PipeLink', () => {
  it('writes the small frames of one tick as one batch whose sends share one promise', async () => {
    const { ours, theirs } = await socketPair();
    const l = link(ours);
    const arriving = readFrames(theirs, 3);
    const sends = [l.send(frame(1)), l.send(frame(2)), l.send(frame(3))];
    expect(sends[1]).toBe(sends[0]);
    expect(sends[2]).toBe(sends[0]);
    await Promise.all(sends);
    expect((await arriving).map((f) => f[0])).toEqual([1, 2, 3]);
    // The next tick starts a new batch.
    const next = l.send(frame(4));
    expect(next).not.toBe(sends[0]);
    await next;
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

  it('rejects every send of an unwritten batch with TRANSPORT_CLOSED when the link is cut', async () => {
    const { ours } = await socketPair();
    const reasons: string[] = [];
    const l = link(ours, (reason) => reasons.push(reason));
    const sends = [l.send(frame(1)), l.send(frame(2))];
    l.destroy('cut by the test');
    for (const send of sends) await expect(send).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await expect(l.send(frame(3))).rejects.toBeInstanceOf(BusError);
    await within('onClose', new Promise<void>((resolve) => (reasons.length > 0 ? resolve() : ours.once('close', () => resolve()))));
    expect(reasons).toEqual(['cut by the test']);
  });
});
