import type net from 'node:net';
import { jsonCodec, msgpackCodec, msgpackCompatCodec, type Codec } from '@pipebus/core';
import { decodeMessageFrame, type Envelope } from '@pipebus/core/transport-kit';
import { FrameDecoder } from '../../../packages/transport-namedpipe/src/framing/frame-decoder.js';
import { GREETING_BYTES } from '../../../packages/transport-namedpipe/src/link/handshake.js';

const codecs: ReadonlyMap<number, Codec> = new Map([msgpackCodec, msgpackCompatCodec, jsonCodec].map((c) => [c.id, c]));

/**
 * A hostile peer's view of its own socket: it writes whatever it likes and
 * decodes what the victim answers, so a test can wait for a given reply.
 */
export class RawPeer {
  readonly received: Envelope[] = [];
  readonly #waiters: { accept: (e: Envelope) => boolean; resolve: (e: Envelope) => void }[] = [];
  readonly #decoder = new FrameDecoder(16 * 1024 * 1024);

  /** Greeting bytes still to skip: the server's first 4 bytes say whether it took us (link/handshake.ts). */
  #greeting = GREETING_BYTES;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      let chunk = data;
      if (this.#greeting > 0) {
        const skip = Math.min(this.#greeting, chunk.byteLength);
        this.#greeting -= skip;
        chunk = chunk.subarray(skip);
      }
      this.#decoder.push(chunk, (frame) => {
        const envelope = decodeMessageFrame(frame, codecs);
        this.received.push(envelope);
        for (const waiter of [...this.#waiters]) {
          if (!waiter.accept(envelope)) continue;
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(envelope);
        }
      });
    });
  }

  /** The first envelope received (from now on, or already) that `accept` takes; rejects if the socket closes first. */
  reply(accept: (e: Envelope) => boolean): Promise<Envelope> {
    const seen = this.received.find(accept);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ accept, resolve });
      this.socket.once('close', () => reject(new Error('the victim closed the connection before the awaited reply')));
    });
  }
}
