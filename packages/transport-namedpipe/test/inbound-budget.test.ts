import net from 'node:net';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { FrameDecoder } from '../src/framing/frame-decoder.js';
import { InboundBudget } from '../src/link/inbound-budget.js';
import { framed, isWindows, makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

const pool = new Pool(makeRuntimeDir());
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await pool.closeAll();
});

const KiB = 1024;
const MiB = 1024 * KiB;

describe('InboundBudget', () => {
  it('refuses growth beyond the shared part, serves the queue in order, and lends the lane to one at a time', async () => {
    const budget = new InboundBudget(10, 4); // 6 shared + a lane of 4
    const [a, b, c] = [budget.open(), budget.open(), budget.open()];
    expect(a.take(6)).toBe(true);
    expect(b.take(1)).toBe(false);
    const order: string[] = [];
    b.request(3, () => order.push('b'));
    c.request(3, () => order.push('c'));
    await Promise.resolve();
    // b got the lane (the shared part is full); c waits for it or for shared room.
    expect(order).toEqual(['b']);
    expect(budget.held).toBe(9);
    expect(a.take(0)).toBe(false); // nobody overtakes a queue
    a.release();
    await Promise.resolve();
    expect(order).toEqual(['b', 'c']);
    expect(budget.held).toBe(6);
    b.close();
    c.close();
    expect([budget.held, budget.waiting, budget.waits]).toEqual([0, 0, 2]);
  });

  it('a decoder that is refused memory stalls, keeps the rest of its bytes, and resumes where it stopped', async () => {
    const budget = new InboundBudget(64 * KiB, 16 * KiB);
    const hog = budget.open();
    expect(hog.take(48 * KiB)).toBe(true); // the shared part is gone
    const account = budget.open();
    const decoder = new FrameDecoder(16 * KiB, account);
    const frames = [new Uint8Array(10_000).fill(1), new Uint8Array(12_000).fill(2), Uint8Array.of(3)];
    const wire = Buffer.concat(frames.map(framed));
    const out: Uint8Array[] = [];
    const onFrame = (f: Uint8Array): void => void out.push(Uint8Array.from(f));
    // In 100-byte reads: the first frame needs memory at once, and stalls.
    let at = 0;
    for (; at < wire.byteLength && decoder.stalledFor === 0; at += 100) decoder.push(wire.subarray(at, at + 100), onFrame);
    expect(decoder.stalledFor).toBe(10_000);
    decoder.push(wire.subarray(at, at + 100), onFrame); // one more read already on its way keeps its place
    at += 100;
    const granted = new Promise<void>((resolve) => account.request(decoder.stalledFor, resolve));
    await granted; // the lane, for the rest of the frame
    expect(budget.held).toBe(48 * KiB + 10_000);
    decoder.resume(onFrame);
    // Frame 1 complete (lane released); frame 2 may stall on the shared part again.
    while (at < wire.byteLength) {
      if (decoder.stalledFor > 0) {
        await new Promise<void>((resolve) => account.request(decoder.stalledFor, resolve));
        decoder.resume(onFrame);
        continue;
      }
      decoder.push(wire.subarray(at, at + 100), onFrame);
      at += 100;
    }
    while (decoder.stalledFor > 0) {
      await new Promise<void>((resolve) => account.request(decoder.stalledFor, resolve));
      decoder.resume(onFrame);
    }
    expect(out).toEqual(frames);
    expect(budget.held).toBe(48 * KiB);
  });

  it('rejects a maxInboundBufferBytes below maxFrameSize with INVALID_ARGUMENT naming the range', () => {
    expect(() => pool.server(uniqueAddress('x'), { maxFrameSize: 1 * MiB, maxInboundBufferBytes: MiB - 1 })).toThrow(/options\.maxInboundBufferBytes must be an integer from 1048576/);
  });
});

/** A hand-made peer on the server's socket; resolves once connected (and greeted). */
function rawSocket(server: NamedPipeServer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.path, () => resolve(socket));
    socket.on('error', () => undefined);
    socket.once('error', reject);
    socket.resume(); // the greeting and any answers: not read here
    sockets.push(socket);
  });
}

/** Resolves once `ok()` holds, checking as the server's counters change (at every turn of the loop). */
function until(what: string, ok: () => boolean, ms = 8000): Promise<void> {
  return within(what, new Promise<void>((resolve) => {
    const check = (): void => (ok() ? resolve() : void setImmediate(check));
    check();
  }), ms);
}

describe('maxInboundBufferBytes: a bound on unfinished frames across all links', () => {
  /** A server with a 4 MiB budget (2 MiB frames) answering each frame with its length mod 251. */
  async function budgetServer(label: string, frameTimeout = 0): Promise<NamedPipeServer> {
    const server = pool.server(uniqueAddress(label), { maxFrameSize: 2 * MiB, maxInboundBufferBytes: BUDGET, frameTimeout });
    server.frames$.subscribe((f) => void server.send(Uint8Array.of(f.data.byteLength % 251), f.peer.id).catch(() => undefined));
    await server.start();
    return server;
  }
  const BUDGET = 4 * MiB;
  const PEERS = 24;
  // All but the last byte of a 2 MiB frame; one buffer for every hog, so their unsent bytes
  // (they live in this process too) do not count in the measure of the server's.
  const most = framed(new Uint8Array(2 * MiB)).subarray(0, 4 + 2 * MiB - 1);

  /**
   * PEERS raw peers each sending `most`; resolves once all but the few the
   * budget holds wait (or, with `queued: false`, once all are connected).
   */
  async function hogs(server: NamedPipeServer, queued = true): Promise<net.Socket[]> {
    const all: net.Socket[] = [];
    for (let i = 0; i < PEERS; i++) {
      const s = await rawSocket(server);
      s.write(most);
      all.push(s);
    }
    if (queued) await until('the hogs to fill the budget and queue', () => server.stats().inboundWaiting >= PEERS - 4);
    return all;
  }

  /** An honest peer sending a whole large frame; resolves with the server's answer. */
  async function honestFrame(server: NamedPipeServer): Promise<{ answer: Promise<number> }> {
    const honest = await rawSocket(server);
    let got = Buffer.alloc(0);
    const answer = new Promise<number>((resolve) => honest.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.byteLength >= 9) resolve(got[8]!); // after the greeting and a length prefix
    }));
    honest.write(Buffer.concat([Buffer.alloc(4), framed(new Uint8Array(2 * MiB - 3))])); // hello, then the frame
    return { answer };
  }

  it('N peers each sending most of a large frame hold at most the budget; an honest large frame waits its turn and completes', async () => {
    const server = await budgetServer('budget');
    const before = process.memoryUsage().arrayBuffers;
    const all = await hogs(server);
    // Unbounded they would hold 24 × 2 MiB = 48 MiB: the budget's own count, and the process's
    // (slack: buffers outgrown by doubling, not yet collected, and one socket read per peer).
    expect(server.stats().inboundBytesHeld).toBeLessThanOrEqual(BUDGET);
    // POSIX reads at most 64 KiB at a time; under Wine one read can carry a whole frame, and a
    // waiting link keeps the read it could not take (beyond the budget: one read per link).
    if (!isWindows) expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 * BUDGET + PEERS * 256 * KiB + 2 * MiB);
    const { answer } = await honestFrame(server);
    await until('the honest frame to queue', () => server.stats().inboundWaiting >= PEERS - 3);
    // The hogs finish their frames: served in turn, then the honest one.
    for (const s of all) s.write(Uint8Array.of(0));
    expect(await within('the honest frame\'s answer', answer, 10_000)).toBe((2 * MiB - 3) % 251);
    expect(server.stats().framesIn).toBe(PEERS + 1);
    await until('everything released', () => server.stats().inboundBytesHeld === 0 && server.stats().inboundWaiting === 0);
  }, 20_000);

  it('frameTimeout still cuts peers that wait for room, which frees it for an honest frame', async () => {
    const server = await budgetServer('budgetCut', 500);
    // Not waiting for them all to queue: where connecting 24 peers takes longer than the
    // 500 ms frameTimeout (Wine under load), the first are cut before the last arrive.
    await hogs(server, false);
    await until('every hog cut at frameTimeout', () => server.stats().slowDrops === PEERS, 5000);
    expect(server.stats()).toMatchObject({ inboundBytesHeld: 0, inboundWaiting: 0 });
    expect(await within('the honest frame\'s answer', (await honestFrame(server)).answer)).toBe((2 * MiB - 3) % 251);
  });

  it('honest large frames from many clients at once all complete, however small the budget', async () => {
    const address = uniqueAddress('budgetHonest');
    const server = pool.server(address, { maxFrameSize: 1 * MiB, maxInboundBufferBytes: 1 * MiB });
    const clients = 8;
    const got = firstValueFrom(server.frames$.pipe(take(clients), toArray()));
    await server.start();
    const connected = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected'), take(clients), toArray()));
    const all: net.Socket[] = [];
    for (let i = 0; i < clients; i++) all.push(await rawSocket(server));
    await within('every client', connected);
    // Written together: their frames interleave in the server's reads and compete for 1 MiB.
    for (let i = 0; i < clients; i++) all[i]!.write(framed(new Uint8Array(1 * MiB - 100).fill(i + 1)));
    const frames = await within('every frame', got, 15_000);
    expect(frames.map((f) => f.data.byteLength)).toEqual(new Array(clients).fill(1 * MiB - 100));
    expect(new Set(frames.map((f) => f.data[0])).size).toBe(clients);
    expect(frames.every((f) => f.data.every((b) => b === f.data[0]))).toBe(true);
    // (Under Wine each frame may come in one read: whole, it needs no buffer and never waits.)
    if (!isWindows) expect(server.stats().inboundWaits).toBeGreaterThan(0);
    await until('everything released', () => server.stats().inboundBytesHeld === 0);
  });
});
