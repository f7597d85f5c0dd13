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
import { nuid } from '@nats-io/transport-node';

/** Who the bus is told sent the synthesized answer: not a peer (nothing to fail or answer). */
export function noRespondersPeer(prefix: string): PeerInfo {
  return { id: `nats:no-responders`, address: `nats:${prefix}` };
}

/**
 * The last requests sent, by id: the method's name, so that the error can
 * name it (the notice carries only the reply-to), and the random token the
 * request's reply-to carries. A "no responders" notice is a status message
 * any client could publish on our inbox, and the caller's id is public and
 * call ids count up: a notice counts only when its reply-to has the token of
 * the request with that id, which only the server and the request's
 * receivers ever saw. A ring of fixed size: a few array writes per request,
 * nothing to clean up; the server answers within a round trip, long before
 * {@link RecentRequests.SIZE} more requests went out.
 */
export class RecentRequests {
  static readonly SIZE = 4096;
  readonly #ids = new Float64Array(RecentRequests.SIZE);
  readonly #names: string[] = new Array<string>(RecentRequests.SIZE).fill('');
  readonly #tokens: string[] = new Array<string>(RecentRequests.SIZE).fill('');

  /** Request `id` to `name` is going out: the token for its reply-to (the same for each fragment of one request). */
  note(id: number, name: string): string {
    const slot = id & (RecentRequests.SIZE - 1);
    if (this.#ids[slot] === id && this.#names[slot] === name) return this.#tokens[slot]!;
    const token = nuid.next();
    this.#ids[slot] = id;
    this.#names[slot] = name;
    this.#tokens[slot] = token;
    return token;
  }

  /** The method of request `id` when `token` is the one its reply-to carried; undefined when not (a forged notice). */
  claim(id: number, token: string): string | undefined {
    const slot = id & (RecentRequests.SIZE - 1);
    return this.#ids[slot] === id && this.#tokens[slot] === token ? this.#names[slot] : undefined;
  }
}

/** The error frame for request `id`, as a responder's bus would encode it (JSON: every bus decodes it). */
export function noHandlerFrame(id: number, method: string, prefix: string): Uint8Array {
  const what = `'${method}'`;
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
