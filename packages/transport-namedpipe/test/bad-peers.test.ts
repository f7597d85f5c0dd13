import net from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { BusError } from '@pipebus/core';
import type { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { Greeting, greetingWord } from '../src/link/handshake.js';
import { framed, makeRuntimeDir, Pool, recordingLogger, uniqueAddress, within } from './helpers.js';

const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
  await pool.closeAll();
});

/** A server that echoes every frame to its sender, with a recording logger. */
async function echoServer(label: string, options = {}) {
  const logger = recordingLogger();
  const address = uniqueAddress(label);
  const server = pool.server(address, { logger, maxFrameSize: 1 << 20, ...options });
  server.frames$.subscribe((f) => void server.send(f.data, f.peer.id).catch(() => undefined));
  await server.start();
  return { server, address, logger };
}

/** A hand-made peer on the server's socket, writing whatever bytes a test wants. */
function rawSocket(server: NamedPipeServer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.path, () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

/** Proves the server still serves: a well-behaved client gets its echo. */
async function stillServes(address: string): Promise<void> {
  const client = pool.client(address);
  await client.start();
  const echo = firstValueFrom(client.frames$);
  await client.send(Uint8Array.of(42));
  expect(Array.from((await within('the echo to a good client', echo)).data)).toEqual([42]);
}

function droppedPeer(server: NamedPipeServer) {
  return firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
}

describe('bad peers are dropped, counted and logged, and the server keeps serving', () => {
  it('drops a peer that announces a frame above maxFrameSize, before allocating it', async () => {
    const { server, address, logger } = await echoServer('oversize');
    const gone = droppedPeer(server);
    const bad = await rawSocket(server);
    bad.write(Buffer.from([0xff, 0xff, 0xff, 0xf0])); // 4 GiB - 16: would be allocated by a careless decoder
    const event = await within('the oversize peer to be dropped', gone);
    expect(event.reason).toMatch(/above maxFrameSize/);
    expect(server.stats()).toMatchObject({ oversizeFrames: 1, peersDropped: 1 });
    expect(logger.lines.some((l) => l.startsWith('warn: dropped client-1'))).toBe(true);
    await stillServes(address);
  });

  it('drops a peer whose stream ends inside a frame (truncated)', async () => {
    const { server, address } = await echoServer('truncated');
    const gone = droppedPeer(server);
    const bad = await rawSocket(server);
    bad.end(Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10)]));
    const event = await within('the truncated peer to go', gone);
    expect(event.reason).toMatch(/90 bytes short/);
    expect(server.stats()).toMatchObject({ truncatedFrames: 1, peersDropped: 1 });
    await stillServes(address);
  });

  it('drops a peer that speaks garbage (text where a length prefix belongs)', async () => {
    const { server, address } = await echoServer('garbage');
    const gone = droppedPeer(server);
    const bad = await rawSocket(server);
    bad.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await within('the garbage peer to be dropped', gone);
    expect(server.stats()).toMatchObject({ oversizeFrames: 1, peersDropped: 1 });
    await stillServes(address);
  });

  it('drops a peer that floods requests but never reads the answers, with bounded buffering', async () => {
    const { server, address } = await echoServer('flood', { maxPendingSendBytes: 256 * 1024, stallTimeout: 200 });
    const gone = droppedPeer(server);
    const bad = await rawSocket(server);
    bad.pause(); // never read: the echoes pile up at the server
    const frame = framed(new Uint8Array(32 * 1024));
    // Write until the server cuts us off; the bound makes that happen long before this cap.
    let written = 0;
    const flood = (async () => {
      while (!bad.destroyed && written < 256 * 1024 * 1024) {
        written += frame.byteLength;
        if (!bad.write(frame)) await new Promise((resolve) => { bad.once('drain', resolve); bad.once('close', resolve); });
      }
    })();
    bad.on('error', () => undefined);
    const event = await within('the flooding peer to be dropped', gone, 10_000);
    expect(event.reason).toMatch(/not reading/);
    expect(server.stats()).toMatchObject({ floodDrops: 1, peersDropped: 1 });
    expect(server.stats().readPauses).toBeGreaterThanOrEqual(1);
    bad.destroy();
    await flood;
    await stillServes(address);
  });

  it('lets dropPeer cut one client and counts it', async () => {
    const { server, address } = await echoServer('droppeer');
    const client = pool.client(address, { reconnect: false });
    const connected = firstValueFrom(server.peers$);
    await client.start();
    const { peer } = await within('the connection', connected);
    const gone = droppedPeer(server);
    server.dropPeer(peer.id, 'sent nonsense');
    expect((await within('the drop', gone)).reason).toMatch(/sent nonsense/);
    expect(server.stats().peersDropped).toBe(1);
    await expect(server.send(Uint8Array.of(1), peer.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('backpressure', () => {
  it('makes send() wait while the reader is slow, and delivers everything once it reads', async () => {
    const address = uniqueAddress('slow');
    const reader = await slowReader(address);
    const client = pool.client(address, { maxFrameSize: 1 << 20 });
    await client.start();
    const frame = new Uint8Array(256 * 1024);
    let sent = 0;
    let stalled: Promise<void> | undefined;
    for (let i = 0; i < 400 && stalled === undefined; i++) {
      const sending = client.send(frame);
      sent++;
      // Not a sleep: did this send complete within one turn of the event loop, or is it held back?
      const outcome = await Promise.race([sending.then(() => 'sent'), nextTurn().then(() => 'waiting')]);
      if (outcome === 'waiting') stalled = sending;
    }
    // 400 × 256 KiB = 100 MiB would sit in memory if send() never waited.
    expect(stalled).toBeDefined();
    expect(sent).toBeLessThan(400);
    reader.resume();
    await within('the stalled send to complete once the reader reads', stalled!);
    const expected = sent * (frame.byteLength + 4);
    await within(`all ${expected} bytes at the reader`, reader.received(expected), 10_000);
  });

  it('refuses sends with BUSY beyond maxPendingSendBytes instead of queueing without bound', async () => {
    const address = uniqueAddress('bound');
    await slowReader(address);
    const client = pool.client(address, { maxPendingSendBytes: 1 << 20, maxFrameSize: 1 << 20 });
    await client.start();
    const frame = new Uint8Array(512 * 1024);
    const busy: BusError[] = [];
    for (let i = 0; i < 64; i++) client.send(frame).catch((e: BusError) => busy.push(e));
    await nextTurn();
    // 64 × 512 KiB were asked for; at most the socket buffer plus 1 MiB may wait.
    expect(busy.length).toBeGreaterThanOrEqual(56);
    expect(busy.every((e) => e.code === 'BUSY')).toBe(true);
  });
});

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A plain node:net server at the address that reads nothing until resume(). */
async function slowReader(address: string): Promise<{ resume(): void; received(bytes: number): Promise<void> }> {
  const target = pool.server(address).path; // only to learn the path; never started
  if (process.platform !== 'win32') (await import('node:fs')).mkdirSync((await import('node:path')).dirname(target), { recursive: true, mode: 0o700 });
  let socket: net.Socket | undefined;
  let total = 0;
  let waiter: (() => void) | undefined;
  let want = Infinity;
  const accepted = new Promise<net.Socket>((resolve) => {
    const server = net.createServer({ pauseOnConnect: true }, (s) => {
      s.write(greetingWord(Greeting.Accepted)); // what a pipebus server says first
      socket = s;
      sockets.push(s);
      resolve(s);
    });
    server.listen(target);
    servers.push(server);
  });
  await new Promise((resolve) => servers.at(-1)!.once('listening', resolve));
  return {
    resume() {
      void accepted.then((s) => {
        s.on('data', (d: Buffer) => {
          total += d.byteLength;
          if (total >= want) waiter?.();
        });
        s.resume();
      });
    },
    received(bytes) {
      want = bytes;
      return total >= bytes ? Promise.resolve() : new Promise((resolve) => (waiter = resolve));
    },
  };
  void socket;
}
