import net from 'node:net';
import { PassThrough } from 'node:stream';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { FrameDecoder } from '../src/framing/frame-decoder.js';
import { awaitGreeting, Greeting, greetingWord } from '../src/link/handshake.js';
import { framed, isWindows, makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

const pool = new Pool(makeRuntimeDir());
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await pool.closeAll();
});

const frames = [Uint8Array.of(1), Uint8Array.of(2, 2), new Uint8Array(300).fill(3), Uint8Array.of(4, 4, 4, 4)];
/** The greeting and the frames after it, as a server's first bytes on the wire. */
const wire = Buffer.concat([greetingWord(Greeting.Accepted), ...frames.map(framed)]);

/**
 * Feeds `chunks` to awaitGreeting as separate reads of a flowing stream, then
 * reads what it left in the stream as a link would: its own 'data' listener,
 * then resume().
 */
async function greetThenRead(chunks: Buffer[], expected: number): Promise<Uint8Array[]> {
  const stream = new PassThrough();
  const socket = stream as unknown as net.Socket;
  const greeted = awaitGreeting(socket, 'test', 1000);
  stream.resume(); // flowing, as a connected socket is: this is what made unshift() re-enter
  for (const chunk of chunks) stream.write(chunk);
  await greeted;
  const out: Uint8Array[] = [];
  const decoder = new FrameDecoder(1024);
  const all = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (f) => void out.push(Uint8Array.from(f)));
      if (out.length >= expected) resolve();
    });
  });
  stream.resume();
  if (expected > 0) await within(`${expected} frames after the greeting`, all, 1000);
  return out;
}

describe('the greeting and what follows it in the same read (client)', () => {
  it('puts back every byte after the greeting, in order, wherever the reads split', async () => {
    // Every cut of the wire into two reads, then into single bytes: the
    // greeting split over reads, the greeting with one or several frames, a
    // greeting with part of a frame whose rest comes in the next read.
    const splits: Buffer[][] = [[wire]];
    for (let at = 1; at < wire.byteLength; at++) splits.push([wire.subarray(0, at), wire.subarray(at)]);
    splits.push([...wire].map((b) => Buffer.of(b)));
    for (const chunks of splits) {
      expect(await greetThenRead(chunks, frames.length)).toEqual(frames);
    }
  });

  it('leaves nothing behind when only the greeting came', async () => {
    expect(await greetThenRead([greetingWord(Greeting.Accepted)], 0)).toEqual([]);
  });

  it('rejects BUSY from a refusal that shares its read with other bytes', async () => {
    const stream = new PassThrough();
    const greeted = awaitGreeting(stream as unknown as net.Socket, 'test', 1000);
    stream.resume();
    stream.write(Buffer.concat([greetingWord(Greeting.Busy), framed(Uint8Array.of(9))]));
    await expect(greeted).rejects.toMatchObject({ code: 'BUSY' });
  });
});

/** A plain node:net server at the address that writes `first` (greeting and frames) in one write, then `later`. */
async function standIn(address: string, first: Buffer, later?: Buffer): Promise<{ sendLater(): void }> {
  const target = pool.server(address).path; // only to learn the path; never started
  if (!isWindows) (await import('node:fs')).mkdirSync((await import('node:path')).dirname(target), { recursive: true, mode: 0o700 });
  let accepted: net.Socket | undefined;
  const server = net.createServer((s) => {
    accepted = s;
    sockets.push(s);
    s.on('error', () => undefined);
    s.write(first);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(target, resolve));
  return { sendLater: () => void accepted?.write(later ?? Buffer.alloc(0)) };
}

function received(client: NamedPipeClient, n: number): Promise<Uint8Array[]> {
  return firstValueFrom(client.frames$.pipe(take(n), toArray())).then((fs) => fs.map((f) => Uint8Array.from(f.data)));
}

describe('a client whose server writes its greeting and first frames at once', () => {
  it('starts and delivers one frame that followed the greeting', async () => {
    const address = uniqueAddress('greet1');
    await standIn(address, Buffer.concat([greetingWord(Greeting.Accepted), framed(frames[0]!)]));
    const client = pool.client(address, { reconnect: false });
    const got = received(client, 1);
    await within('start()', client.start());
    expect(await within('the frame after the greeting', got)).toEqual([frames[0]]);
  });

  it('starts and delivers several frames that followed the greeting, in order', async () => {
    const address = uniqueAddress('greetN');
    await standIn(address, wire);
    const client = pool.client(address, { reconnect: false });
    const got = received(client, frames.length);
    await within('start()', client.start());
    expect(await within('the frames after the greeting', got)).toEqual(frames);
  });

  it('completes a frame begun in the greeting\'s read with the bytes of a later one', async () => {
    const address = uniqueAddress('greetPart');
    const cut = wire.byteLength - 3;
    const server = await standIn(address, wire.subarray(0, cut), wire.subarray(cut));
    const client = pool.client(address, { reconnect: false });
    const got = received(client, frames.length);
    await within('start()', client.start());
    server.sendLater();
    expect(await within('the frames after the greeting', got)).toEqual(frames);
  });

  it('survives a real server that sends to each client as it connects (the a11 attack)', async () => {
    const address = uniqueAddress('greetBusy');
    const server = pool.server(address);
    // Sends in the tick that wrote the greeting: both reach the client's first read.
    server.peers$.pipe(filter((e) => e.type === 'connected')).subscribe((e) => {
      for (const f of frames) void server.send(f, e.peer.id).catch(() => undefined);
    });
    await server.start();
    for (let i = 0; i < 5; i++) {
      const client = pool.client(address, { reconnect: false });
      const got = received(client, frames.length);
      await within('start()', client.start());
      expect(await within('the frames sent on connect', got)).toEqual(frames);
      await client.close();
    }
  });
});
