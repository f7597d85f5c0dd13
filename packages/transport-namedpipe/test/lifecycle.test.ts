import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { BusError, MessageBus, silentLogger, type Logger, type TransportState } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { isWindows, killChildren, makeRuntimeDir, Pool, posixOnly, reaches, recordingLogger, startPeer, uniqueAddress, within, windowsOnly } from './helpers.js';

const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
afterEach(async () => {
  killChildren();
  await pool.closeAll();
});

async function rejection(promise: Promise<unknown>, what: string): Promise<BusError> {
  const error = await within(what, promise.then(() => undefined, (e: unknown) => e));
  if (!BusError.is(error)) throw new Error(`${what}: expected a BusError, got ${String(error)}`);
  return error;
}

describe('connecting', () => {
  it('fails at once with NOT_FOUND when no server listens (connectTimeout 0)', async () => {
    const error = await rejection(pool.client(uniqueAddress('missing')).start(), 'start() of a client with no server');
    expect(error.code).toBe('NOT_FOUND');
    expect(error.osName).toBe(isWindows ? 'ERROR_FILE_NOT_FOUND' : 'ENOENT');
  });

  it('waits within connectTimeout for a server that appears later', async () => {
    const address = uniqueAddress('later');
    let server: NamedPipeServer | undefined;
    // The server starts when the client reports its first failed attempt: the wait path, every time.
    const logger: Logger = { ...silentLogger, debug: () => void (server ??= pool.server(address)).start() };
    const client = pool.client(address, { connectTimeout: 5000, logger });
    await within('the client to connect once the server appeared', client.start());
    expect(server).toBeDefined();
    expect(client.state).toBe('open');
  });

  it('gives up with NOT_FOUND after connectTimeout, saying how long it waited', async () => {
    const error = await rejection(pool.client(uniqueAddress('never'), { connectTimeout: 60 }).start(), 'start() with connectTimeout 60');
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/within 60 ms/);
  });

  it('stops waiting promptly when closed during connectTimeout', async () => {
    const client = pool.client(uniqueAddress('closewait'), { connectTimeout: 60_000 });
    const starting = client.start();
    await client.close();
    expect((await rejection(starting, 'start() cut short by close()')).code).toBe('TRANSPORT_CLOSED');
  });
});

describe('reconnecting', () => {
  it('goes reconnecting when the server goes, reports the peer gone at once, and reopens when a server returns', async () => {
    const address = uniqueAddress('restart');
    const first = pool.server(address);
    await first.start();
    const client = pool.client(address, { reconnect: { initialDelayMs: 5, maxDelayMs: 50 } });
    const states: TransportState[] = [];
    client.state$.subscribe((s) => states.push(s));
    await client.start();
    const gone = firstValueFrom(client.peers$.pipe(filter((e) => e.type === 'disconnected')));
    const reconnecting = reaches(client, 'reconnecting');
    await first.close();
    await within("the server peer 'disconnected'", gone);
    await within("state 'reconnecting'", reconnecting);
    const reopened = firstValueFrom(client.state$.pipe(filter((s) => s === 'open')));
    const second = pool.server(address);
    const question = firstValueFrom(second.frames$);
    await second.start();
    await within("state 'open' again", reopened);
    await client.send(Uint8Array.of(7));
    expect(Array.from((await within('a frame on the new server', question)).data)).toEqual([7]);
    expect(states).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'open']);
    expect(client.stats().reconnects).toBe(1);
  });

  it('stops reconnecting promptly on close()', async () => {
    const address = uniqueAddress('giveup');
    const server = pool.server(address);
    await server.start();
    const client = pool.client(address, { reconnect: { initialDelayMs: 60_000 } });
    await client.start();
    const reconnecting = reaches(client, 'reconnecting');
    await server.close();
    await within("state 'reconnecting'", reconnecting);
    await within('close() during a 60 s backoff', client.close(), 1000);
    expect(client.state).toBe('closed');
  });

  it('closes instead when reconnect is false', async () => {
    const address = uniqueAddress('noreconnect');
    const server = pool.server(address);
    await server.start();
    const client = pool.client(address, { reconnect: false });
    await client.start();
    const closed = reaches(client, 'closed');
    await server.close();
    await within("state 'closed'", closed);
  });

  it('fails a request in flight with TRANSPORT_CLOSED at once when the server process dies', async () => {
    const address = uniqueAddress('death');
    const target = new NamedPipeServer({ address, logger: silentLogger, ...(runtimeDir === '' ? {} : { runtimeDir }) }).path;
    if (!isWindows) fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const child = await startPeer('serve', target, 'listening');
    const bus = new MessageBus(pool.client(address, { reconnect: false }), { logger: silentLogger });
    await bus.start();
    const received = new Promise<void>((resolve) => child.on('message', (m) => (m === 'request' ? resolve() : undefined)));
    const started = Date.now();
    const reply = bus.request('slow.method', { n: 1 }, { timeout: 30_000 }).then(() => undefined, (e: unknown) => e);
    await within('the child server to receive the request', received);
    child.kill('SIGKILL');
    const error = await within('the request to fail', reply, 5000);
    expect(BusError.is(error, 'TRANSPORT_CLOSED')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000); // far from the 30 s request timeout
    await bus.close();
  });
});

describe('owning an address', () => {
  it('refuses to take a live server\'s address with ADDRESS_IN_USE', async () => {
    const address = uniqueAddress('live');
    const first = pool.server(address);
    await first.start();
    const error = await rejection(pool.server(address).start(), 'start() of a second server');
    expect(error.code).toBe('ADDRESS_IN_USE');
    // The first one still serves.
    await pool.client(address).start();
  });

  posixOnly(it)('replaces a stale socket file left by a dead server, logging no warning (POSIX)', async () => {
    const address = uniqueAddress('stale');
    const logger = recordingLogger();
    const server = pool.server(address, { logger });
    fs.mkdirSync(path.dirname(server.path), { recursive: true, mode: 0o700 });
    const child = await startPeer('serve', server.path, 'listening');
    child.kill('SIGKILL');
    await within('the child to die', new Promise((resolve) => child.once('exit', resolve)));
    expect(fs.lstatSync(server.path).isSocket()).toBe(true);
    await server.start();
    await pool.client(address).start();
    // The first listen()'s EADDRINUSE is the takeover's normal path, not an accept failure.
    expect(logger.lines.filter((line) => /^(warn|error):/.test(line))).toEqual([]);
  });

  posixOnly(it)('still logs and reports an error the listening server raises later (POSIX)', async () => {
    // The server's own net.Server, caught as it listens, so the test can raise
    // the kind of error libuv reports for a failed accept (EMFILE).
    const servers: net.Server[] = [];
    const original = net.Server.prototype.listen;
    const spy = jest.spyOn(net.Server.prototype, 'listen').mockImplementation(function (this: net.Server, ...args: unknown[]) {
      servers.push(this);
      return (original as (...a: unknown[]) => net.Server).apply(this, args);
    });
    try {
      const logger = recordingLogger();
      const server = pool.server(uniqueAddress('acceptfail'), { logger });
      const errors: BusError[] = [];
      server.events.on('error', (error: BusError) => errors.push(error));
      await server.start();
      expect(servers).toHaveLength(1);
      servers[0]!.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
      expect(logger.lines).toEqual([expect.stringMatching(/^warn: accepting a client on .* failed: accept EMFILE/)]);
      expect(errors.map((e) => e.code)).toEqual(['OS_ERROR']);
    } finally {
      spy.mockRestore();
    }
  });

  posixOnly(it)('never removes a file that is not a socket (POSIX)', async () => {
    const address = uniqueAddress('notsock');
    const server = pool.server(address);
    fs.writeFileSync(server.path, 'keep me');
    expect((await rejection(server.start(), 'start() over a regular file')).code).toBe('ADDRESS_IN_USE');
    expect(fs.readFileSync(server.path, 'utf8')).toBe('keep me');
  });

  posixOnly(it)('creates its runtime directory with mode 0700 and refuses one open to others (POSIX)', async () => {
    const dir = path.join(runtimeDir, 'fresh');
    const server = pool.server(uniqueAddress('dir'), { runtimeDir: dir });
    await server.start();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const open = path.join(runtimeDir, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    const error = await rejection(pool.server(uniqueAddress('dir'), { runtimeDir: open }).start(), 'start() in a 0755 dir');
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/chmod 700/);
  });

  (isWindows || process.getuid?.() !== 0 ? it.skip : it)('refuses a runtime directory owned by another user (POSIX, root only: needs chown)', async () => {
    const theirs = path.join(runtimeDir, 'theirs');
    fs.mkdirSync(theirs, { mode: 0o700 });
    fs.chownSync(theirs, 65534, 65534);
    const error = await rejection(pool.server(uniqueAddress('theirs'), { runtimeDir: theirs }).start(), 'start() in a dir of uid 65534');
    expect(error.code).toBe('ACCESS_DENIED');
    expect((await rejection(pool.client(uniqueAddress('theirs'), { runtimeDir: theirs }).start(), 'client start()')).code).toBe('ACCESS_DENIED');
  });
});

describe('busy', () => {
  windowsOnly(it)('answers BUSY (ERROR_PIPE_BUSY) when every instance is taken, and waits for a free one within connectTimeout (Windows)', async () => {
    const address = uniqueAddress('busy');
    await pool.server(address, { maxClients: 1 }).start();
    const first = pool.client(address);
    await first.start();
    const error = await rejection(pool.client(address).start(), 'start() while the only instance is taken');
    expect([error.code, error.osName, error.osCode]).toEqual(['BUSY', 'ERROR_PIPE_BUSY', 231]);
    let freed = false;
    const logger: Logger = { ...silentLogger, debug: () => void (freed ||= (void first.close(), true)) };
    const waiting = pool.client(address, { connectTimeout: 5000, logger });
    await within('the waiting client to get the freed instance', waiting.start());
    expect(freed).toBe(true);
  });

  posixOnly(it)('refuses clients beyond maxClients: their start() rejects BUSY, and they are counted (POSIX)', async () => {
    const address = uniqueAddress('max');
    const server = pool.server(address, { maxClients: 1 });
    await server.start();
    await pool.client(address).start();
    const refused = new Promise<BusError>((resolve) => server.events.once('error', resolve));
    // Not TRANSPORT_CLOSED on the first request after a start() that seemed to succeed.
    const error = await rejection(pool.client(address, { reconnect: false }).start(), 'start() of a client over maxClients');
    expect(error.code).toBe('BUSY');
    expect(error.message).toMatch(/maxClients/);
    expect((await within('the refusal', refused)).code).toBe('BUSY');
    // BUSY is retried for Windows' 50 ms default wait (as a busy pipe is): one refusal per attempt.
    expect(server.stats().peersRejected).toBeGreaterThanOrEqual(1);
    expect(server.stats().peersConnected).toBe(1);
  });
});
