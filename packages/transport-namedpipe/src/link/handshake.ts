import type net from 'node:net';
import { BusError, systemClock, type Clock } from '@pipebus/core';

/**
 * The server's first 4 bytes on a framed link, before any frame: whether it
 * took the client. Without it a client refused for `maxClients` saw `start()`
 * succeed and then TRANSPORT_CLOSED on its first request; now `start()` gets
 * BUSY (and retries within `connectTimeout`, as for a busy Windows pipe).
 *
 * Layout: `'P' 'B'`, protocol version 1, then a status byte. Read as a length
 * prefix, the word is over 1.3 GB, so a framed peer that predates the
 * handshake drops it as oversize rather than misreading it. Raw links (native
 * peers) have no handshake.
 */
export const GREETING_BYTES = 4;
const MAGIC_0 = 0x50; // 'P'
const MAGIC_1 = 0x42; // 'B'
const VERSION = 1;

/** The server's answer to a new client. */
export const Greeting = {
  Accepted: 0,
  /** `maxClients` are connected. */
  Busy: 1,
  /** The client's user is not admitted by the server's `allow`. */
  Denied: 2,
} as const;
/** One of {@link Greeting}'s values. */
export type Greeting = (typeof Greeting)[keyof typeof Greeting];

/**
 * The client's answer once greeted: an empty frame (a zero length prefix).
 * It satisfies the server's `firstFrameTimeout` for a client that only
 * listens (a subscriber may never send a request); links never deliver
 * zero-length frames, so the bus does not see it.
 */
export const CLIENT_HELLO: Uint8Array = new Uint8Array(4);

/** The 4 bytes that tell a client `status`. */
export function greetingWord(status: Greeting): Buffer {
  return Buffer.from([MAGIC_0, MAGIC_1, VERSION, status]);
}

/**
 * Tells a refused client why, then closes: the word is flushed first so the
 * client reads it before the end of the stream. A peer that never reads it
 * cannot hold the socket: the close comes once the write is done, or at
 * `graceMs` on the server's `clock` whatever happens.
 */
export function refuseWith(socket: net.Socket, status: Greeting, graceMs = 1000, clock: Clock = systemClock): void {
  const timer = clock.setTimeout(() => socket.destroy(), graceMs);
  socket.on('error', () => undefined);
  socket.on('close', () => clock.clearTimeout(timer));
  socket.end(greetingWord(status), () => socket.destroy());
}

/**
 * Client side: reads the server's greeting. Resolves on Accepted (any bytes
 * after it are put back for the link to read); rejects with BUSY,
 * ACCESS_DENIED, TIMEOUT (nothing within `timeoutMs` on `clock`), TRANSPORT_CLOSED (the
 * stream ended first) or DECODE_FAILED (not a pipebus server). The socket is
 * paused afterwards either way; on rejection the caller destroys it.
 */
export function awaitGreeting(socket: net.Socket, path: string, timeoutMs: number, clock: Clock = systemClock): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let got = Buffer.alloc(0);
    const done = (error?: BusError): void => {
      clock.clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      got = got.byteLength === 0 ? chunk : Buffer.concat([got, chunk]);
      if (got.byteLength < GREETING_BYTES) return;
      if (got[0] !== MAGIC_0 || got[1] !== MAGIC_1 || got[2] !== VERSION) {
        done(new BusError('DECODE_FAILED', `the server at '${path}' did not greet as a pipebus ${VERSION} server (first bytes ${got.subarray(0, 4).toString('hex')}); for a native server connect with { raw: true }`));
        return;
      }
      const status = got[3];
      if (status !== Greeting.Accepted) {
        done(refused(path, status));
        return;
      }
      // Detach and pause first, then put back what followed the greeting (the
      // first frames of a busy server often share its read). On a flowing
      // socket unshift() re-emits 'data' at once: with this listener still
      // attached it came back here, appended the rest to `got` again and
      // unshifted again, doubling until a RangeError killed the client.
      // Paused, the bytes wait in the socket for the link's own listener.
      const rest = got.subarray(GREETING_BYTES);
      done();
      if (rest.byteLength > 0) socket.unshift(rest);
    };
    const onEnd = (): void => done(new BusError('TRANSPORT_CLOSED', `the server at '${path}' closed the connection before greeting it; it may be shutting down`));
    const onError = (error: Error): void => done(new BusError('TRANSPORT_CLOSED', `the connection to '${path}' failed before the server greeted it: ${error.message}`, { cause: error }));
    const timer = clock.setTimeout(
      () => done(new BusError('TIMEOUT', `the server at '${path}' did not greet within handshakeTimeout (${timeoutMs} ms); is it a pipebus server (native ones need { raw: true }) and is it responsive?`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}

/** The error for a greeting other than Accepted. */
function refused(path: string, status: number | undefined): BusError {
  if (status === Greeting.Busy) return new BusError('BUSY', `the server at '${path}' is full (its maxClients, or its maxClientsPerUser for this user, are connected); retry later, or connect with a larger { connectTimeout } to wait for a free slot`);
  if (status === Greeting.Denied) return new BusError('ACCESS_DENIED', `the server at '${path}' refused this user; run both sides as the same user, or start the server with an { allow } that admits this user`);
  return new BusError('DECODE_FAILED', `the server at '${path}' answered with unknown status ${status}; is it a newer pipebus?`);
}
