/**
 * Interop checks between the native peers (the seeds' programs in C) and
 * each other or Windows Node's `node:net` named pipes: the raw directions the
 * named-pipe and mailslot transports rely on. Each case is an async function
 * that throws (node:assert) on any mismatch and resolves with what each side
 * received and how long it took, so transport tests can call them directly:
 *
 * ```ts
 * import { nativeAvailable } from '../../../scripts/windows/native/native-programs.js';
 * import { nodePipeServerServesCClient } from '../../../scripts/windows/native/native-interop-cases.js';
 * const maybe = nativeAvailable() ? describe : describe.skip;
 * maybe('raw interop', () => { it('node server, C client', () => nodePipeServerServesCClient()); });
 * ```
 *
 * Runs only under Windows Node (scripts/windows/jest.sh); see native-programs.ts.
 *
 * @packageDocumentation
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import {
  parseReadLine,
  SEED,
  startNative,
  uniqueMailslotName,
  uniquePipeName,
} from './native-programs.js';
import type { NativeExit } from './native-programs.js';

/** Options shared by the cases. */
export interface InteropCaseOptions {
  /** Bound on each program and each wait, in ms (default 15000). */
  timeoutMs?: number;
  /** Pipe cases: the server writes first and the client reads first (default false: client writes first). */
  serverWritesFirst?: boolean;
}

/** What a case observed. */
export interface InteropCaseResult {
  /** The pipe or mailslot name used (unique per call). */
  name: string;
  /** Wall-clock milliseconds from starting the first peer to both having finished. */
  ms: number;
  /** Bytes the server side received, in order. */
  serverReceived: Buffer[];
  /** Bytes the client side received (empty for mailslots). */
  clientReceived: Buffer[];
  /** The native programs' stdout lines, by role. */
  output: Record<string, string[]>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function hex(b: Buffer): string {
  return b.toString('hex');
}

function assertBytes(actual: Buffer, expected: Buffer, what: string): void {
  assert.equal(hex(actual), hex(expected), `${what}: got ${hex(actual)}, expected ${hex(expected)}`);
}

/** Resolve with exactly `count` bytes from `socket`, or reject on error/end/time-out. */
function readExactly(socket: net.Socket, count: number, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= count) {
        cleanup();
        const all = Buffer.concat(chunks);
        if (all.length > count) {
          reject(new Error(`${what}: expected ${count} bytes, got ${all.length}: ${hex(all)}`));
        } else {
          resolve(all);
        }
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`${what}: the peer closed after ${have} of ${count} bytes: ${hex(Buffer.concat(chunks))}`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new Error(`${what}: ${error.message}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: ${have} of ${count} bytes within ${timeoutMs} ms: ${hex(Buffer.concat(chunks))}`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
  });
}

/** Resolve once `socket` has closed (or at once if it already has). */
function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => socket.once('close', () => resolve()));
}

function readOf(exit: NativeExit): Buffer[] {
  return exit.lines.filter((l) => l.startsWith('READ ')).map((l) => parseReadLine(l).bytes);
}

/**
 * pipe-server.exe ↔ pipe-client.exe: each receives the other's seed message
 * with its NUL ("NAMEDPIPE CLIENT\0", "OnNamedPipe Server\0").
 */
export async function cPipeServerWithCPipeClient(options: InteropCaseOptions = {}): Promise<InteropCaseResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = uniquePipeName('c2c');
  const t0 = performance.now();
  const server = startNative(
    'pipe-server',
    [name, '--timeout', String(timeoutMs), ...(options.serverWritesFirst ? ['--write-first'] : [])],
    { timeoutMs },
  );
  try {
    await server.waitForLine(/^READY /, timeoutMs);
    const client = startNative(
      'pipe-client',
      [name, '--timeout', String(timeoutMs), ...(options.serverWritesFirst ? ['--read-first'] : [])],
      { timeoutMs },
    );
    const [s, c] = await Promise.all([server.succeeded(), client.succeeded()]);
    const ms = performance.now() - t0;
    const serverReceived = readOf(s);
    const clientReceived = readOf(c);
    assert.equal(serverReceived.length, 1, 'server: one READ');
    assert.equal(clientReceived.length, 1, 'client: one READ');
    assertBytes(serverReceived[0] as Buffer, SEED.pipeClientMessage, 'server received');
    assertBytes(clientReceived[0] as Buffer, SEED.pipeServerMessage, 'client received');
    return { name, ms, serverReceived, clientReceived, output: { server: s.lines, client: c.lines } };
  } finally {
    server.kill();
  }
}

/**
 * mailslot-server.exe ← mailslot-client.exe: the server reads
 * "Bingo is handsome\0" (18 bytes), `count` times (default 1).
 */
export async function cMailslotServerWithCMailslotClient(
  options: InteropCaseOptions & { count?: number } = {},
): Promise<InteropCaseResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const count = options.count ?? 1;
  const name = uniqueMailslotName('c2c');
  const t0 = performance.now();
  const server = startNative('mailslot-server', [name, '--count', String(count), '--timeout', String(timeoutMs)], {
    timeoutMs,
  });
  try {
    await server.waitForLine(/^READY /, timeoutMs);
    const client = startNative('mailslot-client', [name, '--count', String(count)], { timeoutMs });
    const [s, c] = await Promise.all([server.succeeded(), client.succeeded()]);
    const ms = performance.now() - t0;
    const serverReceived = readOf(s);
    assert.equal(serverReceived.length, count, `server: ${count} READ lines`);
    for (const got of serverReceived) assertBytes(got, SEED.mailslotMessage, 'mailslot server received');
    assert.deepEqual(
      c.lines.filter((l) => l.startsWith('WROTE ')),
      Array.from({ length: count }, () => `WROTE ${SEED.mailslotMessage.length}`),
    );
    return { name, ms, serverReceived, clientReceived: [], output: { server: s.lines, client: c.lines } };
  } finally {
    server.kill();
  }
}

/**
 * Windows Node `net.createServer` on `\\.\pipe\<unique>` serves pipe-client.exe:
 * Node receives "NAMEDPIPE CLIENT\0" and replies "OnNamedPipe Server\0", which
 * the client prints. With `serverWritesFirst`, Node writes on connection and
 * the client (`--read-first`) answers.
 */
export async function nodePipeServerServesCClient(options: InteropCaseOptions = {}): Promise<InteropCaseResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = uniquePipeName('node-server');
  const t0 = performance.now();
  let exchange: Promise<Buffer> | undefined;
  const sockets: net.Socket[] = [];
  const socketErrors: Error[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    // A peer that closes first may surface as an error (EPIPE, ECONNRESET): record, never crash.
    socket.on('error', (error) => socketErrors.push(error));
    if (exchange) {
      socket.destroy(); // a second client: not part of this case
      return;
    }
    exchange = (async () => {
      if (options.serverWritesFirst) socket.write(SEED.pipeServerMessage);
      const got = await readExactly(socket, SEED.pipeClientMessage.length, timeoutMs, 'node server read');
      if (!options.serverWritesFirst) socket.write(SEED.pipeServerMessage);
      return got;
    })();
    exchange.catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const client = startNative(
    'pipe-client',
    [name, '--timeout', String(timeoutMs), ...(options.serverWritesFirst ? ['--read-first'] : [])],
    { timeoutMs },
  );
  try {
    const c = await client.succeeded();
    assert.ok(exchange, 'node server: no connection from pipe-client.exe');
    const serverGot = await exchange;
    await Promise.all(sockets.map((s) => closed(s)));
    const ms = performance.now() - t0;
    const clientReceived = readOf(c);
    assertBytes(serverGot, SEED.pipeClientMessage, 'node server received');
    assert.equal(clientReceived.length, 1, 'client: one READ');
    assertBytes(clientReceived[0] as Buffer, SEED.pipeServerMessage, 'pipe-client.exe received');
    return {
      name,
      ms,
      serverReceived: [serverGot],
      clientReceived,
      output: { client: c.lines, nodeSocketErrors: socketErrors.map((e) => e.message) },
    };
  } finally {
    client.kill();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Windows Node `net.connect` to pipe-server.exe's pipe: Node sends
 * "NAMEDPIPE CLIENT\0" and receives "OnNamedPipe Server\0"; the server prints
 * what it read. With `serverWritesFirst` (`--write-first`), Node reads first.
 */
export async function nodePipeClientWithCPipeServer(options: InteropCaseOptions = {}): Promise<InteropCaseResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = uniquePipeName('node-client');
  const t0 = performance.now();
  const server = startNative(
    'pipe-server',
    [name, '--timeout', String(timeoutMs), ...(options.serverWritesFirst ? ['--write-first'] : [])],
    { timeoutMs },
  );
  let socket: net.Socket | undefined;
  try {
    await server.waitForLine(/^READY /, timeoutMs);
    const sock = net.connect(name);
    socket = sock;
    // The server disconnects when done; that may surface as an error: record, never crash.
    const socketErrors: Error[] = [];
    sock.on('error', (error) => socketErrors.push(error));
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve();
      });
      sock.once('error', reject);
    });
    // Start reading before writing: the reply may arrive at once.
    const reply = readExactly(sock, SEED.pipeServerMessage.length, timeoutMs, 'node client read');
    let got: Buffer;
    if (options.serverWritesFirst) {
      got = await reply;
      sock.write(SEED.pipeClientMessage);
    } else {
      sock.write(SEED.pipeClientMessage);
      got = await reply;
    }
    const s = await server.succeeded();
    sock.end();
    await closed(sock);
    const ms = performance.now() - t0;
    const serverReceived = readOf(s);
    assertBytes(got, SEED.pipeServerMessage, 'node client received');
    assert.equal(serverReceived.length, 1, 'server: one READ');
    assertBytes(serverReceived[0] as Buffer, SEED.pipeClientMessage, 'pipe-server.exe received');
    return {
      name,
      ms,
      serverReceived,
      clientReceived: [got],
      output: { server: s.lines, nodeSocketErrors: socketErrors.map((e) => e.message) },
    };
  } finally {
    socket?.destroy();
    server.kill();
  }
}

/** Every case, by name, with the options each runs with in a full check. */
export const NATIVE_INTEROP_CASES: ReadonlyArray<{
  name: string;
  run: () => Promise<InteropCaseResult>;
}> = [
  { name: 'C pipe server <-> C pipe client', run: () => cPipeServerWithCPipeClient() },
  {
    name: 'C pipe server <-> C pipe client (server writes first)',
    run: () => cPipeServerWithCPipeClient({ serverWritesFirst: true }),
  },
  { name: 'C mailslot server <- C mailslot client', run: () => cMailslotServerWithCMailslotClient() },
  { name: 'node net server <-> C pipe client', run: () => nodePipeServerServesCClient() },
  {
    name: 'node net server <-> C pipe client (server writes first)',
    run: () => nodePipeServerServesCClient({ serverWritesFirst: true }),
  },
  { name: 'node net client <-> C pipe server', run: () => nodePipeClientWithCPipeServer() },
  {
    name: 'node net client <-> C pipe server (server writes first)',
    run: () => nodePipeClientWithCPipeServer({ serverWritesFirst: true }),
  },
];
