import net from 'node:net';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { BusError } from '@pipebus/core';
import type { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { framed, makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

const pool = new Pool(makeRuntimeDir());
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await pool.closeAll();
});

/** A hand-made peer on the server's socket; resolves once connected. */
function rawSocket(server: NamedPipeServer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.path, () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

describe('inbound memory', () => {
  it('peers that announce ~15 MiB frames and send 10 bytes hold about what they sent', async () => {
    const address = uniqueAddress('declare');
    const server = pool.server(address);
    const peers = 32;
    const arrived = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected'), take(peers), toArray()));
    await server.start();
    const before = process.memoryUsage().arrayBuffers;
    const bytesIn = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (server.stats().bytesIn >= peers * 14) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(15 * 1024 * 1024, 0);
    for (let i = 0; i < peers; i++) (await rawSocket(server)).write(Buffer.concat([prefix, Buffer.alloc(10)]));
    await within('every peer', arrived);
    await within('every peer\'s 14 bytes', bytesIn);
    const held = process.memoryUsage().arrayBuffers - before;
    // Allocating the announced length would be 32 × 15 MiB = 480 MiB.
    expect(held).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('inbound deadlines', () => {
  it('cuts trickling clients at firstFrameTimeout; meanwhile a new client gets BUSY, then an honest one connects', async () => {
    const address = uniqueAddress('trickle');
    const maxClients = 4;
    const server = pool.server(address, { maxClients, firstFrameTimeout: 300 });
    server.frames$.subscribe((f) => void server.send(f.data, f.peer.id).catch(() => undefined));
    const inside = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected'), take(maxClients), toArray()));
    const cut = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected'), take(maxClients), toArray()));
    await server.start();
    // Each holds a slot with one byte of a length prefix, and would add one a second forever.
    for (let i = 0; i < maxClients; i++) (await rawSocket(server)).write(Uint8Array.of(0));
    await within('the tricklers to take every slot', inside);
    const refused = await pool.client(address, { reconnect: false }).start().then(() => undefined, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BUSY' });
    const events = await within('the tricklers to be cut', cut);
    expect(events.every((e) => /firstFrameTimeout/.test(e.reason ?? ''))).toBe(true);
    expect(server.stats().slowDrops).toBe(maxClients);
    const honest = pool.client(address);
    await honest.start();
    const echo = firstValueFrom(honest.frames$);
    await honest.send(Uint8Array.of(7));
    expect(Array.from((await within('the echo', echo)).data)).toEqual([7]);
  });

  it('cuts a client that starts a frame and does not finish it within frameTimeout, with TIMEOUT', async () => {
    const address = uniqueAddress('halfframe');
    const server = pool.server(address, { frameTimeout: 300 });
    const frames = firstValueFrom(server.frames$);
    const gone = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
    const error = new Promise<BusError>((resolve) => server.events.on('error', resolve));
    await server.start();
    const slow = await rawSocket(server);
    // One whole frame (so firstFrameTimeout is met), then 2 bytes of the next one's 100.
    slow.write(Buffer.concat([framed(Uint8Array.of(1)), Buffer.from([0, 0, 0, 100, 9, 9])]));
    await within('the whole frame', frames);
    expect((await within('the cut', gone)).reason).toMatch(/did not finish it within 300 ms/);
    expect((await within('the error event', error)).code).toBe('TIMEOUT');
    expect(server.stats()).toMatchObject({ slowDrops: 1, peersDropped: 1 });
  });

  it('keeps a pipebus client that only listens: its hello is its first frame', async () => {
    const address = uniqueAddress('listener');
    const server = pool.server(address, { firstFrameTimeout: 200 });
    await server.start();
    const client = pool.client(address);
    await client.start();
    const event = firstValueFrom(client.frames$);
    // A silent peer connected after the client is cut at firstFrameTimeout: by then the
    // client's own deadline, started earlier, has passed too (no sleep, the server's clock).
    const silentCut = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'disconnected')));
    await rawSocket(server);
    expect((await within('the silent peer to be cut', silentCut)).reason).toMatch(/firstFrameTimeout/);
    await server.send(Uint8Array.of(5));
    expect(Array.from((await within('the broadcast', event)).data)).toEqual([5]);
    // The hello never reached the bus as a frame.
    expect(server.stats()).toMatchObject({ slowDrops: 1, framesIn: 0, peersConnected: 1 });
  });
});
