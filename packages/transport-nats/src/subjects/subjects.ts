/**
 * The subjects this transport uses under its prefix, and the parsing of what
 * arrives on them. Everything a NATS subject means is decided here, so the
 * layout (see the design note: requests, inboxes, events, presence) changes
 * in one place.
 *
 * Spike scope: the unrouted mapping only, which is what a transport sees
 * through today's `send(frame, to?)`:
 * - `P.all`: a send without `to`, heard by every transport under the prefix;
 * - `P.in.<peer>.d`: a send to one peer;
 * - `P.presence.hello|beat|bye`: a transport arriving (or back after a
 *   reconnect), still there, and leaving; each hello is answered on `P.in.<peer>.h` ("here"), so the
 *   newcomer learns the peers already there.
 * Every publish carries the sender's inbox as its reply-to, which is how the
 * receiver learns the (self-declared) sender.
 */
import { invalidArgument } from '@pipebus/core/transport-kit';

/** One NATS token of ours: what a peer id and each prefix token may hold. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The subjects of one transport (its prefix and its own peer id). */
export class Subjects {
  readonly all: string;
  readonly hello: string;
  readonly bye: string;
  readonly beat: string;
  /** This transport's inbox, subscribed as `inbox.>`. */
  readonly inbox: string;
  /** The reply-to of every publish: this transport's direct subject. */
  readonly self: string;
  /** Where peers answer this transport's hello. */
  readonly hereForMe: string;
  readonly #inPrefix: string;

  constructor(
    readonly prefix: string,
    readonly peerId: string,
  ) {
    this.all = `${prefix}.all`;
    this.hello = `${prefix}.presence.hello`;
    this.bye = `${prefix}.presence.bye`;
    this.beat = `${prefix}.presence.beat`;
    this.#inPrefix = `${prefix}.in.`;
    this.inbox = `${prefix}.in.${peerId}.>`;
    this.self = this.direct(peerId);
    this.hereForMe = this.here(peerId);
  }

  /** Where the answer to `peer`'s hello goes. */
  here(peer: string): string {
    return `${this.#inPrefix}${peer}.h`;
  }

  /** Where a frame for `peer` goes. */
  direct(peer: string): string {
    return `${this.#inPrefix}${peer}.d`;
  }

  /**
   * The sender named by a message's reply-to (`P.in.<peer>.…`), or undefined
   * when it is not one of ours: a message of some other NATS client.
   */
  senderOf(reply: string | undefined): string | undefined {
    if (reply === undefined || !reply.startsWith(this.#inPrefix)) return undefined;
    const end = reply.indexOf('.', this.#inPrefix.length);
    if (end < 0) return undefined;
    const peer = reply.slice(this.#inPrefix.length, end);
    return TOKEN.test(peer) ? peer : undefined;
  }
}

/** Checks a subject prefix: dot-separated tokens of letters, digits, '_' and '-'. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 200 || !prefix.split('.').every((t) => TOKEN.test(t))) {
    throw invalidArgument(
      `NatsTransport: 'prefix' must be dot-separated NATS tokens of letters, digits, '_' and '-' (no wildcards, spaces or empty tokens), such as 'pipebus' or 'acme.orders'; got ${JSON.stringify(prefix)}`,
      { option: 'prefix' },
    );
  }
  return prefix;
}

/** Checks the peer-id prefix: one token, since the id is one token of the inbox subject. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64 || !TOKEN.test(name)) {
    throw invalidArgument(`NatsTransport: 'name' must be 1 to 64 letters, digits, '_' or '-' (it becomes one token of NATS subjects); got ${JSON.stringify(name)}`, {
      option: 'name',
    });
  }
  return name;
}
