/**
 * What arrives from NATS, sorted: frames for the bus (with the sender taken
 * from the reply-to or the subject, never from the frame), presence, the
 * server's "no responders" notices, and pulls of large messages' fragments.
 * Anything that does not parse as ours is another client's: counted and
 * dropped (internal to the transport).
 */
import type { InboundFrame, PeerId, PeerInfo } from '@pipebus/core/transport-kit';
import type { Msg } from '@nats-io/transport-node';
import type { Subjects } from '../subjects/subjects.js';
import type { Bans } from './bans.js';
import { PULL_HEADER, isPullKey, type FragmentPulls } from './fragment-pull.js';
import type { Link } from './link.js';
import { noHandlerFrame, noRespondersPeer, type RecentRequests } from './no-responders.js';
import type { Presence } from './presence.js';
import type { Counters } from './stats.js';

const EMPTY = new Uint8Array(0);
/** Longest subject a pull may name (NATS has no hard limit; ours are a prefix of at most 200 and a name). */
const MAX_PULL_SUBJECT = 4096;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export interface InboundParts {
  readonly subjects: Subjects;
  readonly counters: Counters;
  readonly bans: Bans;
  readonly peers: Presence;
  readonly link: Link;
  readonly recent: RecentRequests;
  readonly pulls: FragmentPulls;
  readonly emitFrame: (frame: InboundFrame) => void;
  /** Publishes a message of the transport's own (a presence answer, a pull). */
  readonly publish: (subject: string, data: Uint8Array, reply: string) => void;
}

export class Inbound {
  readonly #self: PeerId;
  readonly #noResponders: PeerInfo;

  constructor(private readonly p: InboundParts) {
    this.#self = p.subjects.peerId;
    this.#noResponders = noRespondersPeer(p.subjects.prefix);
  }

  /** `P.in.<self>.>`: frames to us, answers to our hello, pulls, and the server's "no responders" notices. */
  inbox(msg: Msg): void {
    const { subjects: s, counters } = this.p;
    if (msg.headers?.code === 503) {
      counters.noResponders++;
      this.#unheard(msg.subject);
      return;
    }
    const sender = s.senderOf(msg.reply);
    // Our own id: our connection does not echo (noEcho), so someone else claims it. Never a peer of ourselves.
    if (sender === undefined || sender === this.#self) {
      counters.foreignMessages++;
      return;
    }
    if (msg.subject === s.direct) this.#deliver(sender, msg.data, undefined);
    else if (msg.subject === s.hereForMe) {
      this.p.bans.vouch(sender);
      if (this.#hear(sender) !== undefined) this.p.link.back(sender);
    } else if (msg.subject === s.pulls) {
      // A pull is the token (16 hex digits) and the subject fragment 0 came on.
      const pull = msg.data.byteLength > 16 && msg.data.byteLength <= 16 + MAX_PULL_SUBJECT ? utf8.decode(msg.data) : '';
      const key = pull.slice(0, 16);
      // Only a peer already known may pull (it said hello, as every transport does on start): each pull
      // makes us send a whole message, so a pull must not be able to invent the id it is sent to.
      if (!isPullKey(key) || !this.p.peers.has(sender)) counters.foreignMessages++;
      else if (this.#hear(sender) !== undefined) this.p.pulls.pull(key, sender, pull.slice(16));
    } else counters.foreignMessages++;
  }

  /** `P.all`, `P.req.<method>`, `P.cancel`: the sender is in the reply-to. */
  shared(msg: Msg): void {
    const sender = this.p.subjects.senderOf(msg.reply);
    if (sender === undefined || sender === this.#self) this.p.counters.foreignMessages++;
    else this.#deliver(sender, msg.data, undefined, msg);
  }

  /** `P.evt.<sender>.<topic>`, through the topic interest `via`. */
  event(msg: Msg, via: number): void {
    const sender = this.p.subjects.eventSender(msg.subject);
    // Our own id: not an echo (the connection has noEcho, start() checks), someone else's forgery.
    if (sender === undefined || sender === this.#self) this.p.counters.foreignMessages++;
    else this.#deliver(sender, msg.data, via, msg);
  }

  /** `P.presence.<type>.<sender>`: hello, heartbeat, goodbye. */
  presence(msg: Msg): void {
    const { subjects: s, peers } = this.p;
    const presence = s.presenceOf(msg.subject);
    if (presence === undefined) {
      this.p.counters.foreignMessages++;
      return;
    }
    const { type, sender } = presence;
    if (sender === this.#self) {
      // Our own presence never comes back (noEcho): someone else claims our id.
      this.p.counters.foreignMessages++;
      return;
    }
    if (type === 'bye') {
      this.p.bans.unvouch(sender);
      peers.forget(sender, 'it closed');
      return;
    }
    this.p.bans.vouch(sender);
    if (this.#hear(sender) === undefined) return;
    if (type === 'hello') {
      // A newcomer (or a peer back from its own reconnect) learns we are here.
      this.p.publish(s.here(sender), EMPTY, s.replyPresence);
      this.p.link.back(sender);
    }
  }

  #hear(sender: PeerId): PeerInfo | undefined {
    if (this.p.bans.has(sender)) {
      this.p.counters.bannedMessages++;
      return undefined;
    }
    return this.p.peers.heard(sender);
  }

  /** Hands a frame to the bus; fragment 0 of a large message on a shared subject also asks its sender for the rest. */
  #deliver(sender: PeerId, data: Uint8Array, via: number | undefined, msg?: Msg): void {
    const peer = this.#hear(sender);
    if (peer === undefined) return;
    this.p.emitFrame(via === undefined ? { data, peer } : { data, peer, via });
    const key = msg?.headers?.get(PULL_HEADER);
    if (msg !== undefined && key !== undefined && isPullKey(key)) {
      const s = this.p.subjects;
      this.p.publish(s.pullsOf(sender), encoder.encode(key + msg.subject), s.replyFor(sender));
    }
  }

  /** A "no responders" notice on one of our reply-tos: nobody handles a request, or a peer's inbox is gone. */
  #unheard(subject: string): void {
    const what = this.p.subjects.unheard(subject);
    if (what.kind === 'request') {
      const method = this.p.recent.claim(what.id, what.token);
      // Not the token of our request with that id: another client's forgery (or a request long gone).
      if (method === undefined) this.p.counters.foreignMessages++;
      else this.p.emitFrame({ data: noHandlerFrame(what.id, method, this.p.subjects.prefix), peer: this.#noResponders });
    } else if (what.kind === 'peer') {
      this.p.peers.forget(what.peer, 'its NATS inbox has no subscriber any more (it closed or died)');
    }
  }
}
