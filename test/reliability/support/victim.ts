import type { ChildProcess } from 'node:child_process';
import { forkTs } from '@pipebus/test-support';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { msgpackCodec, type BusStats } from '@pipebus/core';
import { Kind, encodeMessageFrame, type Envelope } from '@pipebus/core/transport-kit';
import { resolvePipeAddress, type PipeStats } from '@pipebus/transport-namedpipe';

const VICTIM = path.resolve(__dirname, '../fixtures/victim.ts');
export const isWindows = process.platform === 'win32';

/** What the victim says about itself (see fixtures/victim.ts). */
export interface VictimReport {
  type: string;
  heapUsed: number;
  rss: number;
  arrayBuffers: number;
  peakHeapUsed: number;
  peakRss: number;
  peakArrayBuffers: number;
  bus: BusStats;
  server: PipeStats;
  slow: { started: number; aborted: number };
  peer?: string;
  reason?: string;
}

/** A hub process under attack, and the means to attack it and read its own counters. */
export class Victim {
  readonly child: ChildProcess;
  readonly path: string;
  readonly #runtimeDir: string;
  #n = 0;
  readonly sockets: net.Socket[] = [];

  private constructor(child: ChildProcess, file: string, runtimeDir: string) {
    this.child = child;
    this.path = file;
    this.#runtimeDir = runtimeDir;
  }

  /** Starts a victim with these transport and bus options; resolves once it listens. */
  static async start(label: string, serverOptions: object = {}, busOptions: object = {}): Promise<Victim> {
    const runtimeDir = isWindows ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'pb-victim-'));
    const address = `pipe://victim-${process.pid}-${label}`;
    const file = resolvePipeAddress(address, runtimeDir === '' ? {} : { runtimeDir }).path;
    const child = forkTs(VICTIM, [address, runtimeDir, JSON.stringify(serverOptions), JSON.stringify(busOptions)], ['--expose-gc']);
    const victim = new Victim(child, file, runtimeDir);
    await victim.next('ready');
    return victim;
  }

  /** The next message of `type` from the victim. */
  next(type: string): Promise<VictimReport> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: VictimReport): void => {
        if (message?.type !== type) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null, signal: string | null): void => reject(new Error(`the victim exited (${code ?? signal}) while the test waited for '${type}'`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  /** A report after a GC. */
  report(): Promise<VictimReport> {
    const answer = this.next('report');
    this.child.send({ type: 'report' });
    return answer;
  }

  /** Forgets the peaks seen so far (after a GC); resolves with the baseline report. */
  resetPeaks(): Promise<VictimReport> {
    const answer = this.next('peaks-reset');
    this.child.send({ type: 'reset-peaks' });
    return answer;
  }

  /**
   * A raw connection, as a hostile peer makes it; resolves once the victim
   * greeted it (its first 4 bytes, link/handshake.ts), i.e. counts it as a
   * peer. With `hello`, it answers as a pipebus client does (an empty frame).
   * With `read: false` it never reads a byte (the socket stays paused, so it
   * also never sees the victim close it); otherwise what arrives is read and
   * dropped unless a listener (RawPeer) takes it.
   */
  connect({ hello = true, read = true }: { hello?: boolean; read?: boolean } = {}): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.path);
      this.sockets.push(socket);
      socket.on('error', reject);
      socket.once('readable', () => {
        if (hello) socket.write(new Uint8Array(4));
        if (read) socket.resume();
        resolve(socket);
      });
    });
  }

  /** A length-prefixed message frame of this envelope (msgpack codec). */
  static frame(envelope: Partial<Envelope> & { name: string }): Buffer {
    const body = encodeMessageFrame({ kind: Kind.Request, id: 1, payload: undefined, headers: undefined, ...envelope }, msgpackCodec);
    const out = Buffer.allocUnsafe(4 + body.byteLength);
    out.writeUInt32BE(body.byteLength, 0);
    out.set(body, 4);
    return out;
  }

  nextId(): number {
    return ++this.#n;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets.splice(0)) socket.destroy();
    const exited = new Promise((resolve) => (this.child.exitCode !== null ? resolve(0) : this.child.once('exit', resolve)));
    this.child.kill('SIGKILL');
    await exited;
    if (this.#runtimeDir !== '') fs.rmSync(this.#runtimeDir, { recursive: true, force: true });
  }
}

/** Resolves when `socket` closes (the victim cut it, or it ended). */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

export const MB = 1024 * 1024;
