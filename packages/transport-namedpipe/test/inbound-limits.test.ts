import net from 'node:net';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

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
