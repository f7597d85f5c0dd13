import type net from 'node:net';
import { Duplex } from 'node:stream';
import { BusError, type Clock } from '@pipebus/core';
import { Greeting, greetingWord } from '../../src/link/handshake.js';
import type { PeerIdentity, PipeBackend, PipeListener } from '../../src/backend/pipe-backend.js';

/** What the fake's next connection attempt does. */
export type Answer = 'absent' | 'busy' | 'accept' | 'silent';

/**
 * Two in-memory stream ends wired to each other, standing in for a connected
 * socket pair: what one writes the other reads; destroying one closes both
 * (a dropped link). Only what PipeLink and the handshake use is needed.
 */
export function socketPair(): [net.Socket, net.Socket] {
  const ends: Duplex[] = [];
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        other().push(chunk);
        done();
      },
      final(done) {
        other().push(null);
        done();
      },
      destroy(error, done) {
        const peer = other();
        if (!peer.destroyed) peer.destroy();
        done(error);
      },
    });
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  const asSocket = (d: Duplex): net.Socket => Object.assign(d, { setNoDelay: () => d }) as unknown as net.Socket;
  return [asSocket(ends[0]!), asSocket(ends[1]!)];
}

/**
 * A named-pipe OS backend in memory: each `connect` follows the next scripted
 * {@link Answer} (then `fallback`), and records the clock's time, so a test
 * reads the exact backoff between attempts. An accepted connection is
 * greeted like a real server; `serverEnds` holds the server side to cut.
 */
export class FakePipeBackend implements PipeBackend {
  /** clock.now() at each connection attempt. */
  readonly attempts: number[] = [];
  readonly serverEnds: net.Socket[] = [];
  #waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(
    private readonly clock: Clock,
    private readonly script: Answer[] = [],
    private readonly fallback: Answer = 'absent',
  ) {}

  /** Resolves once `n` attempts were made (an event, not a sleep). */
  attempted(n: number): Promise<void> {
    if (this.attempts.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Scripts the answers after those already given. */
  plan(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  createListener(): PipeListener {
    throw new Error('FakePipeBackend only connects');
  }

  connect(): Promise<{ socket: net.Socket; identity: PeerIdentity }> {
    this.attempts.push(this.clock.now());
    for (const w of this.#waiters.filter((w) => this.attempts.length >= w.n)) w.resolve();
    const answer = this.script.shift() ?? this.fallback;
    if (answer === 'absent') return Promise.reject(new BusError('NOT_FOUND', 'fake: no server'));
    if (answer === 'busy') return Promise.reject(new BusError('BUSY', 'fake: all instances busy'));
    const [client, server] = socketPair();
    server.resume();
    this.serverEnds.push(server);
    if (answer === 'accept') server.write(greetingWord(Greeting.Accepted));
    return Promise.resolve({ socket: client, identity: { pid: 4242, uid: 1000 } });
  }

  selfIdentity(): { uid: number } {
    return { uid: 1000 };
  }
}
