import { fork } from 'node:child_process';
import path from 'node:path';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import type { PeerEvent } from '@pipebus/core';
import { children, isWindows, killChildren, makeRuntimeDir, Pool, startPeer, uniqueAddress, within, windowsOnly } from './helpers.js';

const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
afterEach(async () => {
  killChildren();
  await pool.closeAll();
});

describe('peer identity', () => {
  it('gives each of several clients its own peer, with this process as pid (and uid/gid on POSIX)', async () => {
    const address = uniqueAddress('multi');
    const server = pool.server(address);
    const three = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected'), take(3), toArray()));
    await server.start();
    // Three clients racing for one pending instance: the losers wait for the next. Under Wine
    // each connect's server-identity lookup (four kernel calls through wineserver, ~1 ms) runs
    // on this same event loop as the server's accept loop, so allow more than the 50 ms grace.
    const clients = [0, 1, 2].map(() => pool.client(address, { connectTimeout: 5000 }));
    await Promise.all(clients.map((c) => c.start()));
    const events: PeerEvent[] = await within('three connected peers', three);
    const ids = new Set(events.map((e) => e.peer.id));
    expect(ids.size).toBe(3);
    for (const { peer } of events) {
      expect(peer.pid).toBe(process.pid);
      if (!isWindows) expect([peer.uid, peer.gid]).toEqual([process.getuid!(), process.getgid!()]);
    }
    // Each client is answered on its own link.
    for (const [i, client] of clients.entries()) {
      const answer = firstValueFrom(client.frames$);
      const question = firstValueFrom(server.frames$);
      await client.send(Uint8Array.of(i));
      const asked = await within('the question', question);
      await server.send(Uint8Array.of(100 + i), asked.peer.id);
      expect(Array.from((await within('the answer', answer)).data)).toEqual([100 + i]);
    }
    expect(server.stats()).toMatchObject({ peersConnected: 3, peersAccepted: 3 });
  });

  it("reports a child process client's own pid", async () => {
    const address = uniqueAddress('childpid');
    const server = pool.server(address);
    const connected = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected')));
    const hello = firstValueFrom(server.frames$);
    await server.start();
    const child = await startPeer('connect', server.path, 'connected');
    const { peer } = await within('the child connecting', connected);
    expect(peer.pid).toBe(child.pid);
    expect(Buffer.from((await within('the child hello', hello)).data).toString()).toBe('hello');
  });

  it("tells the client its server's pid", async () => {
    const address = uniqueAddress('srvpid');
    await pool.server(address).start();
    const client = pool.client(address);
    await client.start();
    expect(client.server?.pid).toBe(process.pid);
  });

  windowsOnly(it)('reads the client pid with GetNamedPipeClientProcessId (Windows)', async () => {
    const address = uniqueAddress('winpid');
    const server = pool.server(address);
    const connected = firstValueFrom(server.peers$.pipe(filter((e) => e.type === 'connected')));
    await server.start();
    await pool.client(address).start();
    const { peer } = await within('a connected peer', connected);
    expect(peer.pid).toBe(process.pid);
    expect(peer.uid).toBeUndefined();
  });

  // Switching a child's uid needs root; elsewhere this case is skipped, not faked.
  (isWindows || process.getuid?.() !== 0 ? it.skip : it)('refuses a client of another uid unless allowOtherUsers (POSIX, runs as root only)', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'pbnp-shared-'));
    fs.chmodSync(shared, 0o755);
    const file = path.join(shared, 's.sock');
    const server = pool.server(file);
    const refused = errorEvents(server);
    await server.start();
    fs.chmodSync(file, 0o666); // the file would let anyone in: the uid check is what refuses
    // The other user runs a copy of the fixture from the shared dir: the checkout
    // itself may sit in a directory only we can read (a clone under mktemp -d).
    const peer = path.join(shared, 'raw-peer.cjs');
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'raw-peer.cjs'), peer);
    fs.chmodSync(peer, 0o644);
    const child = fork(peer, ['connect', file], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [], cwd: shared, uid: 65534, gid: 65534 });
    children.push(child);
    // A child that dies before connecting would otherwise look like a missing refusal.
    const died = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the uid 65534 child exited (${code}) before the server refused it`))));
    const error = await within('the refusal', Promise.race([refused, died]));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(server.stats()).toMatchObject({ peersRejected: 1, peersConnected: 0 });
  });
});

describe('the client checks who the server is', () => {
  it("accepts a server of this user, and tells its uid (POSIX) or user SID (Windows)", async () => {
    const address = uniqueAddress('selfcheck');
    await pool.server(address).start();
    const client = pool.client(address);
    await client.start();
    const server = client.server;
    if (isWindows) expect(server?.sid).toMatch(/^S-1-5-/);
    else expect(server?.uid).toBe(process.getuid!());
  });

  windowsOnly(it)('builds a DACL for listed SIDs and serves through it (Windows)', async () => {
    const address = uniqueAddress('sids');
    // BUILTIN\\Users: a SID every Windows (and Wine) knows.
    await pool.server(address, { allow: { sids: ['S-1-5-32-545'] } }).start();
    const client = pool.client(address);
    await client.start();
    expect(client.server?.sid).toMatch(/^S-1-5-21-/);
  });

  // A server of another uid needs root to start; elsewhere this case is skipped, not faked.
  (isWindows || process.getuid?.() !== 0 ? it.skip : it)('refuses a server run by another uid on an explicit path, unless allowed (POSIX, runs as root only)', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'pbnp-impostor-'));
    fs.chmodSync(shared, 0o777);
    const file = path.join(shared, 'orders.sock');
    const peer = path.join(shared, 'raw-peer.cjs');
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'raw-peer.cjs'), peer);
    fs.chmodSync(peer, 0o644);
    // The impostor: a plain socket server of uid 65534 at the path the client was given.
    const child = fork(peer, ['serve', file], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [], cwd: shared, uid: 65534, gid: 65534 });
    children.push(child);
    await within('the uid 65534 server to listen', new Promise<void>((resolve, reject) => {
      child.on('message', (m) => (m === 'listening' ? resolve() : undefined));
      child.once('exit', (code) => reject(new Error(`the uid 65534 server exited (${code})`)));
    }), 10_000);
    const requests = new Promise<unknown>((resolve) => child.on('message', (m) => (m === 'request' ? resolve(m) : undefined)));
    // Even as root, with no retry budget limit: start() must reject, not poll.
    const client = pool.client(file, { connectTimeout: 5000 });
    const error = await within('start() to reject', client.start().then(() => undefined, (e: unknown) => e));
    expect(error).toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/uid 65534, not as this user \(uid 0\).*allow: \{ uids: \[65534\] \}/) });
    // Widened on purpose, the same server is accepted (raw: it speaks no pipebus).
    const trusting = pool.client(file, { allow: { uids: [65534] }, raw: true });
    await trusting.start();
    await trusting.send(Buffer.from('hi'));
    await within('the request at the widened server', requests);
    expect((trusting.server as { uid?: number }).uid).toBe(65534);
  });
});

function errorEvents(server: { events: { once(event: 'error', fn: (e: import('@pipebus/core').BusError) => void): unknown } }): Promise<import('@pipebus/core').BusError> {
  return new Promise((resolve) => server.events.once('error', resolve));
}
