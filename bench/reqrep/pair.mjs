// One system under test as a server process and a driven client process
// (client.mjs / server.mjs, or the C pingpong), shared by bench/reqrep and
// bench/namedpipe. Every socket lives in one temporary directory per session
// and every process is tracked, so `session.close()` leaves nothing behind
// whatever failed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode, startProcess } from '../lib/proc.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export function createSession() {
  const dir = mkdtempSync(join(os.tmpdir(), 'pbrr-'));
  const live = new Set();
  let next = 0;
  const track = (proc) => {
    live.add(proc);
    proc.child.stdin.on('error', () => {}); // EPIPE to a process that died: its exit is reported instead
    void proc.exited.then(() => live.delete(proc));
    return proc;
  };
  return {
    /** A fresh address for `system` (nats systems share the broker's URL). */
    address(system, natsUrl) {
      const path = join(dir, `${system.id}-${next++}.sock`);
      if (system.mode === 'zeromq') return `ipc://${path}`;
      if (system.mode === 'nats' || system.mode === 'bus-nats') return natsUrl;
      return path;
    },
    /** Starts the server, then a client connected to it; both have printed "ready". */
    async open(system, address) {
      const args = system.kind === 'c' ? [address] : [system.mode, address, system.codec ?? '-'];
      const start = (role) =>
        track(
          system.kind === 'c'
            ? startProcess(system.cPath, [role, ...args])
            : startNode(join(here, `${role}.mjs`), args, { nodeFlags: ['--expose-gc'] }),
        );
      const server = start('server');
      await server.expect('ready', 15_000);
      const client = start('client');
      await client.expect('ready', 15_000);
      return { server, client };
    },
    async close() {
      await Promise.all([...live].map((proc) => proc.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const timeoutFor = (maxMs) => (Number.isFinite(maxMs) ? maxMs * 2 + 30_000 : 600_000);

/** Serial round trips: {count, p50, p90, p99 (µs), perSecond}. */
export async function serial(client, size, { count, warmup, maxMs = Infinity }) {
  client.send(`serial ${size} ${count} ${warmup} ${Number.isFinite(maxMs) ? maxMs : 1e9}`);
  return client.json(timeoutFor(maxMs));
}

/** `window` requests in flight: {count, window, messagesPerSecond}. */
export async function pipelined(client, size, { count, warmup, window, maxMs = Infinity }) {
  client.send(`pipelined ${size} ${count} ${warmup} ${window} ${Number.isFinite(maxMs) ? maxMs : 1e9}`);
  return client.json(timeoutFor(maxMs));
}

/** {rssBytes, heapUsedBytes} of a process: asked for Node ones, read from /proc for C ones (heapUsedBytes null). */
export async function memoryOf(proc, isC) {
  if (!isC) {
    proc.send('mem');
    return proc.json(15_000);
  }
  try {
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))?.[1]);
    return { rssBytes: Number.isFinite(kb) ? kb * 1024 : null, heapUsedBytes: null };
  } catch {
    return { rssBytes: null, heapUsedBytes: null };
  }
}

/**
 * What each further idle client of a Node system adds, its code already
 * loaded: {clients, heapUsedBytes, rssBytes} per client (see client.mjs "more").
 */
export async function perClientMemoryOf(client, count) {
  client.send(`more ${count}`);
  return client.json(60_000);
}

/** Ends a pair: the client quits on its own, then the server is stopped. */
export async function closePair({ server, client }) {
  client.send('quit');
  const quit = await Promise.race([client.exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 3000, false))]);
  if (!quit) await client.stop();
  await server.stop();
}
