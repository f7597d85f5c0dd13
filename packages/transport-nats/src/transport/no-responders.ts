/**
 * NATS "no responders": a request published with a reply-to that no
 * subscription hears makes the server answer on that reply-to at once with
 * a status 503 message (nats.js asks for it in CONNECT whenever the server
 * supports headers). For a request sent without a peer, that means nobody
 * handles the method: the transport hands the bus the error frame a
 * responder would have sent, so the caller fails with `NO_HANDLER` in well
 * under a millisecond on loopback instead of waiting for its timeout.
 */
import { jsonCodec } from '@pipebus/core';
import { Kind, encodeMessageFrame, type PeerInfo } from '@pipebus/core/transport-kit';

/** Who the bus is told sent the synthesized answer: not a peer (nothing to fail or answer). */
export function noRespondersPeer(prefix: string): PeerInfo {
  return { id: `nats:no-responders`, address: `nats:${prefix}` };
}

/**
 * The method names of the last requests sent, by id, so that the error can
 * name the method (the notice carries only the reply-to). A ring of fixed
 * size: two array writes per request, nothing to clean up; an id that fell
 * out of it gets a message without the name.
 */
export class RecentRequests {
  static readonly SIZE = 1024;
  readonly #ids = new Float64Array(RecentRequests.SIZE);
  readonly #names: string[] = new Array<string>(RecentRequests.SIZE).fill('');

  note(id: number, name: string): void {
    const slot = id & (RecentRequests.SIZE - 1);
    this.#ids[slot] = id;
    this.#names[slot] = name;
  }

  nameOf(id: number): string | undefined {
    const slot = id & (RecentRequests.SIZE - 1);
    return this.#ids[slot] === id ? this.#names[slot] : undefined;
  }
}

/** The error frame for request `id`, as a responder's bus would encode it (JSON: every bus decodes it). */
export function noHandlerFrame(id: number, method: string | undefined, prefix: string): Uint8Array {
  const what = method === undefined ? 'this method' : `'${method}'`;
  return encodeMessageFrame(
    {
      kind: Kind.Error,
      id,
      name: '',
      payload: {
        code: 'NO_HANDLER',
        message: `no handler for ${what} is subscribed on NATS under '${prefix}' (the server answered "no responders"); start a service that handles it, or check that both sides use the same prefix`,
        origin: 'bus',
      },
      headers: undefined,
    },
    jsonCodec,
  );
}
