import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { BusError } from '@pipebus/core';
import { NamedPipeClient, NamedPipeServer, resolvePipeAddress } from '@pipebus/transport-namedpipe';
import { FrameDecoder } from '../src/framing/frame-decoder.js';
import { isWindows, makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await pool.closeAll();
});

const SERVER_TEXT = Buffer.from('OnNamedPipe Server\0', 'latin1');
const CLIENT_TEXT = Buffer.from('NAMEDPIPE CLIENT\0', 'latin1');

describe('raw mode (plain bytes, for native programs)', () => {
  it('a raw server receives a native client\'s bytes as one frame and answers with send()', async () => {
    const server = pool.server(isWindows ? `\\\\.\\pipe\\np-raw-${process.pid}` : uniqueAddress('raw'), { raw: true });
    server.frames$.subscribe((f) => void server.send(SERVER_TEXT, f.peer.id));
    await server.start();
    const native = net.connect(server.path); // what the seed's client does: write, then read
    closers.push(() => native.destroy());
    const reply = new Promise<Buffer>((resolve) => native.once('data', resolve));
    native.write(CLIENT_TEXT);
    expect((await within('the raw reply', reply)).equals(SERVER_TEXT)).toBe(true);
  });

  it('a raw client writes bytes as they are and receives a native server\'s reply', async () => {
    const address = isWindows ? `\\\\.\\pipe\\np-rawsrv-${process.pid}` : uniqueAddress('rawsrv');
    const client = pool.client(address, { raw: true, connectTimeout: 0 });
    if (!isWindows) fs.mkdirSync(path.dirname(client.path), { recursive: true, mode: 0o700 });
    let got: Buffer | undefined;
    const native = net.createServer((s) => s.once('data', (d) => ((got = d), s.write(SERVER_TEXT))));
    closers.push(() => native.close());
    await new Promise<void>((resolve) => native.listen(client.path, resolve));
    await client.start();
    const reply = firstValueFrom(client.frames$);
    await client.send(CLIENT_TEXT);
    expect(Buffer.from((await within('the native reply', reply)).data).equals(SERVER_TEXT)).toBe(true);
    expect(got?.equals(CLIENT_TEXT)).toBe(true);
  });
});

describe('resolvePipeAddress', () => {
  it('maps pipe://name to a Windows pipe and to a socket in the runtime dir', () => {
    expect(resolvePipeAddress('pipe://orders', { platform: 'win32' })).toEqual({ path: '\\\\.\\pipe\\pipebus-orders', kind: 'win32-pipe', name: 'orders' });
    expect(resolvePipeAddress('pipe://orders', { platform: 'linux', runtimeDir: '/run/x' })).toEqual({ path: '/run/x/pipebus-orders.sock', kind: 'unix-socket', name: 'orders' });
  });

  it('takes a runtimeDir that is absolute on the platform resolved for (C:\\ on Windows, / on POSIX)', () => {
    // A Windows drive path was refused by a POSIX-only check, so an app could not pass one runtimeDir everywhere.
    expect(resolvePipeAddress('pipe://orders', { platform: 'win32', runtimeDir: 'C:\\Users\\me\\AppData\\Local\\Temp\\pb' }).path).toBe('\\\\.\\pipe\\pipebus-orders');
    expect(() => resolvePipeAddress('pipe://orders', { platform: 'linux', runtimeDir: 'C:\\pb' })).toThrow(/runtimeDir must be an absolute directory path/);
    expect(() => resolvePipeAddress('pipe://orders', { platform: 'win32', runtimeDir: 'pb' })).toThrow(/runtimeDir must be an absolute directory path/);
  });

  it('keeps a raw Windows pipe path, and maps it to the same socket as pipe:// on POSIX', () => {
    expect(resolvePipeAddress('\\\\.\\pipe\\mypipe', { platform: 'win32' }).path).toBe('\\\\.\\pipe\\mypipe');
    expect(resolvePipeAddress('\\\\.\\pipe\\pipebus-orders', { platform: 'linux', runtimeDir: '/r' }).path).toBe(resolvePipeAddress('pipe://orders', { platform: 'linux', runtimeDir: '/r' }).path);
  });

  it('accepts an absolute socket path on POSIX only', () => {
    expect(resolvePipeAddress('/tmp/a.sock', { platform: 'linux' })).toEqual({ path: '/tmp/a.sock', kind: 'unix-socket', name: 'a.sock' });
    expect(() => resolvePipeAddress('/tmp/a.sock', { platform: 'win32' })).toThrow(/on Windows use/);
  });

  it.each([
    ['', /non-empty/],
    ['orders', /not a pipe address/],
    ['pipe://', /pipe:\/\/ name/],
    ['pipe://a/b', /pipe:\/\/ name/],
    [`pipe://${'x'.repeat(120)}`, /longer than a unix socket path/],
  ])('rejects %j with INVALID_ARGUMENT', (address, message) => {
    let error: unknown;
    try {
      resolvePipeAddress(address, { platform: 'linux', runtimeDir: '/run/user/1000/pipebus' });
    } catch (e) {
      error = e;
    }
    expect(BusError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('validates transport options with actionable INVALID_ARGUMENT errors', () => {
    expect(() => new NamedPipeServer(undefined as never)).toThrow(/options object/);
    expect(() => new NamedPipeServer({ address: 'pipe://a', maxFrameSize: 0 })).toThrow(/options\.maxFrameSize must be an integer/);
    expect(() => new NamedPipeServer({ address: 'pipe://a', maxClients: 1.5 })).toThrow(/options\.maxClients must be/);
    expect(() => new NamedPipeClient({ address: 'pipe://a', connectTimeout: -1 })).toThrow(/options\.connectTimeout must be/);
    expect(() => new NamedPipeClient({ address: 'pipe://a', reconnect: 'yes' as never })).toThrow(/'reconnect' must be/);
    expect(() => new NamedPipeClient({ address: 'pipe://a', reconnect: { jitter: 2 } })).toThrow(/reconnect.jitter/);
    expect(() => new NamedPipeClient({ address: 'pipe://a', logger: {} as never })).toThrow(/options\.logger must/);
  });
});

describe('FrameDecoder', () => {
  const frames = (decoder: FrameDecoder, ...chunks: number[][]): number[][] => {
    const out: number[][] = [];
    for (const chunk of chunks) decoder.push(Uint8Array.from(chunk), (f) => out.push(Array.from(f)));
    return out;
  };

  it('reassembles frames split anywhere, including inside the length prefix', () => {
    const decoder = new FrameDecoder(16);
    expect(frames(decoder, [0, 0], [0, 2, 7], [8, 0, 0, 0, 0, 0, 0, 0, 1], [9])).toEqual([[7, 8], [], [9]]);
    expect(decoder.midFrame).toBe(false);
  });

  it('refuses an announced length above the maximum, without allocating, and stays poisoned', () => {
    const decoder = new FrameDecoder(16);
    const out: Uint8Array[] = [];
    const violation = decoder.push(Uint8Array.of(0, 0, 0, 1, 5, 0, 0, 0, 17), (f) => out.push(f));
    expect(out.map((f) => Array.from(f))).toEqual([[5]]);
    expect(violation).toEqual({ kind: 'oversize', length: 17, max: 16 });
    expect(decoder.push(Uint8Array.of(0, 0, 0, 1, 1), () => out.push(new Uint8Array()))).toBeDefined();
    expect(out).toHaveLength(1);
  });

  it('hands out frames that lie whole in a chunk as views of it, and copies the rest', () => {
    const decoder = new FrameDecoder(16);
    const chunk = Uint8Array.of(0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 3, 0, 0, 0, 3, 4);
    const out: Uint8Array[] = [];
    decoder.push(chunk, (f) => out.push(f));
    decoder.push(Uint8Array.of(5, 6), (f) => out.push(f));
    expect(out.map((f) => Array.from(f))).toEqual([[1, 2], [3], [4, 5, 6]]);
    expect(out.map((f) => f.buffer === chunk.buffer)).toEqual([true, true, false]);
    expect([out[0]!.byteOffset, out[1]!.byteOffset]).toEqual([4, 10]);
    // A view of a socket's Buffer is a Buffer too.
    const views: Uint8Array[] = [];
    new FrameDecoder(16).push(Buffer.from(chunk), (f) => views.push(f));
    expect(views.map((f) => Buffer.isBuffer(f))).toEqual([true, true]);
  });

  it('knows when the stream stops inside a frame', () => {
    const decoder = new FrameDecoder(16);
    frames(decoder, [0, 0, 0, 4, 1]);
    expect([decoder.midFrame, decoder.missingBytes]).toEqual([true, 3]);
  });
});
