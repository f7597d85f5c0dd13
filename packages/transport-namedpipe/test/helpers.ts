import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { silentLogger, type Logger, type MessageBus, type Transport, type TransportState } from '@pipebus/core';
import { NamedPipeClient, NamedPipeServer, type PipeClientOptions, type PipeServerOptions } from '@pipebus/transport-namedpipe';

export const isWindows = process.platform === 'win32';
/** `it` on POSIX, `it.skip` on Windows: for cases about unix sockets and runtime dirs. */
export const posixOnly = (it: jest.It): jest.It => (isWindows ? it.skip : it);
export const windowsOnly = (it: jest.It): jest.It => (isWindows ? it : it.skip);

let counter = 0;
/** A fresh address per call: `pipe://np-<pid>-<n>-<label>`. */
export function uniqueAddress(label: string): string {
  return `pipe://np-${process.pid}-${++counter}-${label}`;
}

/** A private runtime dir (mkdtemp makes it 0700) for one test file; POSIX only. */
export function makeRuntimeDir(): string {
  return isWindows ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'pbnp-'));
}

/** Everything a logger was told, for assertions on log lines. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Transports made by a test, closed afterwards. */
export class Pool {
  readonly #all: Transport[] = [];
  readonly #buses: MessageBus[] = [];
  constructor(private readonly runtimeDir: string) {}
  server(address: string, options: Partial<PipeServerOptions> = {}): NamedPipeServer {
    return this.#track(new NamedPipeServer({ address, logger: silentLogger, ...this.#dir(), ...options }));
  }
  client(address: string, options: Partial<PipeClientOptions> = {}): NamedPipeClient {
    return this.#track(new NamedPipeClient({ address, logger: silentLogger, ...this.#dir(), ...options }));
  }
  /** Tracks buses (over pooled transports) so that closeAll() closes them first. */
  buses(...buses: MessageBus[]): void {
    this.#buses.push(...buses);
  }
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.#buses.splice(0).map((bus) => bus.close()));
    await Promise.allSettled(this.#all.splice(0).map((t) => t.close()));
  }
  #dir(): { runtimeDir?: string } {
    return this.runtimeDir === '' ? {} : { runtimeDir: this.runtimeDir };
  }
  #track<T extends Transport>(t: T): T {
    this.#all.push(t);
    return t;
  }
}

/** Awaits `promise`, failing after `ms` with a message naming what never happened. */
export async function within<T>(what: string, promise: Promise<T>, ms = 4000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `transport` reaches `state`. */
export function reaches(transport: Transport, state: TransportState): Promise<TransportState> {
  return firstValueFrom(transport.state$.pipe(filter((s) => s === state)));
}

/** A length-prefixed frame, as the wire carries it. */
export function framed(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + payload.byteLength);
  out.writeUInt32BE(payload.byteLength, 0);
  out.set(payload, 4);
  return out;
}

/** Child processes started by {@link startPeer}; {@link killChildren} ends them. */
export const children: ChildProcess[] = [];

/** Kills every child a test started. */
export function killChildren(): void {
  for (const child of children.splice(0)) child.kill('SIGKILL');
}

/** Starts fixtures/raw-peer.cjs and resolves once it reports `ready`. */
export function startPeer(mode: 'serve' | 'connect', file: string, ready: string): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, 'fixtures', 'raw-peer.cjs'), [mode, file], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [] });
  children.push(child);
  return within(`the ${mode} child to report '${ready}'`, new Promise((resolve, reject) => {
    child.on('message', (m) => (m === ready ? resolve(child) : undefined));
    child.once('exit', (code) => reject(new Error(`the ${mode} child exited (${code}) before '${ready}'`)));
  }), 10_000);
}


let pairs = 0;
/**
 * A connected socket pair over a fresh pipe (Windows) or socket path: `ours`
 * for the code under test, `theirs` the raw far end. With `pauseOnConnect`
 * the far end never reads. `close()` ends both and the listener.
 */
export async function socketPair(label: string, { pauseOnConnect = false }: { pauseOnConnect?: boolean } = {}): Promise<{ ours: net.Socket; theirs: net.Socket; close(): void }> {
  const address = isWindows ? `\\\\.\\pipe\\pipebus-${label}-test-${process.pid}-${++pairs}` : path.join(os.tmpdir(), `pb${label}-${process.pid}-${++pairs}.sock`);
  const server = net.createServer({ pauseOnConnect });
  await new Promise<void>((resolve) => server.listen(address, resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const ours = net.connect(address);
  await new Promise<void>((resolve) => ours.once('connect', resolve));
  const theirs = await accepted;
  return {
    ours,
    theirs,
    close: () => {
      ours.destroy();
      theirs.destroy();
      server.close();
    },
  };
}
