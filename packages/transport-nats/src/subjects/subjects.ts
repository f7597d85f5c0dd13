/**
 * The subjects of one transport under its prefix `P`, and the parsing of
 * what arrives on them. Everything a NATS subject means is decided here, so
 * the layout changes in one place:
 *
 * | what                                   | subject              | reply-to            |
 * |----------------------------------------|----------------------|---------------------|
 * | request without `to`                   | `P.req.<method>`     | `P.in.<self>.r.<id>.<token>` |
 * | event without `to`                     | `P.evt.<self>.<topic>` | none              |
 * | cancel without `to`                    | `P.cancel`           | `P.in.<self>.c`     |
 * | anything to one peer                   | `P.in.<peer>.d`      | `P.in.<self>.t.<peer>` |
 * | anything else (ping, plain `send()`)   | `P.all`              | `P.in.<self>.b`     |
 * | presence                               | `P.presence.hello\|beat\|bye.<self>` | none |
 * | answer to a hello                      | `P.in.<peer>.h`      | `P.in.<self>.p`     |
 * | pull of a large message's fragments    | `P.in.<sender>.f`    | `P.in.<self>.t.<sender>` |
 *
 * The receiver learns the (self-declared) sender from the reply-to's token
 * after `P.in.`, or for events (which carry no reply-to: a reply-to with
 * nobody subscribed makes the server answer every unheard event with a
 * "no responders" notice) and presence from their subject's last token. Each reply-to also
 * says what a "no responders" notice on it means: `r.<id>.<token>`, nobody
 * handles the request with that id (the random token, new per request, keeps
 * another client from forging the notice: see no-responders.ts);
 * `t.<peer>`, that peer's inbox is gone.
 * `subscribe('a.*')` maps to `P.evt.*.a.*`: the extra `*` is the sender.
 */
import { invalidArgument } from '@pipebus/core/transport-kit';

/** One NATS token of ours: what a peer id and each prefix token may hold. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Method and topic names whose subject is cached (a name checked once costs a Map lookup after). */
const MAX_CACHED_NAMES = 10_000;
/** Received event subjects whose sender is kept (past it the cache starts again). */
const MAX_CACHED_SENDERS = 1_024;

/** What a "no responders" notice on one of our reply-to subjects is about. */
export type Unheard = { readonly kind: 'request'; readonly id: number; readonly token: string } | { readonly kind: 'peer'; readonly peer: string } | { readonly kind: 'other' };

/** The subjects of one transport (its prefix and its own peer id). */
export class Subjects {
  readonly all: string;
  readonly cancel: string;
  /** This transport's presence subjects. */
  readonly hello: string;
  readonly bye: string;
  readonly beat: string;
  /** `P.presence.>`: every presence subject. */
  readonly presence: string;
  /** This transport's inbox, subscribed as `P.in.<self>.>`. */
  readonly inbox: string;
  /** Reply-to of broadcasts (`P.all`), cancels and presence. */
  readonly replyAll: string;
  readonly replyCancel: string;
  readonly replyPresence: string;
  /** Where peers answer this transport's hello. */
  readonly hereForMe: string;
  /** Where frames sent to this transport arrive. */
  readonly direct: string;
  /** Where receivers ask this transport for the rest of a large message (fragment-pull.ts). */
  readonly pulls: string;
  readonly #inPrefix: string;
  readonly #presencePrefix: string;
  readonly #selfPrefix: string;
  readonly #evtPrefix: string;
  readonly #ownEvents: string;
  readonly #reqPrefix: string;
  readonly #prefixTokens: number;
  readonly #methodSubjects = new Map<string, string>();
  readonly #eventSubjects = new Map<string, string>();
  /** Received event subjects → their senders (see `eventSender`). */
  readonly #eventSenders = new Map<string, string>();
  readonly #directSubjects = new Map<string, string>();
  readonly #directReplies = new Map<string, string>();

  constructor(
    readonly prefix: string,
    readonly peerId: string,
  ) {
    this.all = `${prefix}.all`;
    this.cancel = `${prefix}.cancel`;
    this.hello = `${prefix}.presence.hello.${peerId}`;
    this.bye = `${prefix}.presence.bye.${peerId}`;
    this.beat = `${prefix}.presence.beat.${peerId}`;
    this.presence = `${prefix}.presence.>`;
    this.#presencePrefix = `${prefix}.presence.`;
    this.#inPrefix = `${prefix}.in.`;
    this.#selfPrefix = `${prefix}.in.${peerId}.`;
    this.#evtPrefix = `${prefix}.evt.`;
    this.#ownEvents = `${prefix}.evt.${peerId}.`;
    this.#reqPrefix = `${prefix}.req.`;
    this.#prefixTokens = prefix.split('.').length;
    this.inbox = `${this.#selfPrefix}>`;
    this.replyAll = `${this.#selfPrefix}b`;
    this.replyCancel = `${this.#selfPrefix}c`;
    this.replyPresence = `${this.#selfPrefix}p`;
    this.hereForMe = `${this.#selfPrefix}h`;
    this.direct = `${this.#selfPrefix}d`;
    this.pulls = `${this.#selfPrefix}f`;
  }

  /** Where to ask `peer` for the rest of a large message. */
  pullsOf(peer: string): string {
    return `${this.#inPrefix}${peer}.f`;
  }

  /** Where the answer to `peer`'s hello goes. */
  here(peer: string): string {
    return `${this.#inPrefix}${peer}.h`;
  }

  /** Where a frame for `peer` goes. */
  directTo(peer: string): string {
    return cached(this.#directSubjects, peer, () => `${this.#inPrefix}${peer}.d`);
  }

  /** The reply-to of a frame for `peer`: a "no responders" notice on it says the peer is gone. */
  replyFor(peer: string): string {
    return cached(this.#directReplies, peer, () => `${this.#selfPrefix}t.${peer}`);
  }

  /** The reply-to of request `id` sent without a peer (`token`: see no-responders.ts): a notice on it says nobody handles the method. */
  replyForRequest(id: number, token: string): string {
    return `${this.#selfPrefix}r.${id}.${token}`;
  }

  /** `P.req.<method>`; throws `INVALID_ARGUMENT` for a name NATS cannot carry as a subject. */
  method(name: string): string {
    return cached(this.#methodSubjects, name, () => this.#reqPrefix + checkSubjectName('method', name, false));
  }

  /** `P.evt.<self>.<topic>` of an event this transport publishes. */
  event(topic: string): string {
    return cached(this.#eventSubjects, topic, () => this.#ownEvents + checkSubjectName('topic', topic, false));
  }

  /** `P.evt.*.<pattern>`: every publisher's events on `pattern` (wildcards as NATS has them). */
  eventPattern(pattern: string): string {
    return `${this.#evtPrefix}*.${checkSubjectName('topic', pattern, true)}`;
  }

  /**
   * The sender named by a reply-to (`P.in.<peer>.…`), or undefined when it
   * is not one of ours: a message of some other NATS client.
   */
  senderOf(reply: string | undefined): string | undefined {
    return reply === undefined ? undefined : tokenAfter(this.#inPrefix, reply);
  }

  /** The publisher of an event (`P.evt.<peer>.<topic>`), or undefined when the subject is not one of ours. */
  eventSender(subject: string): string | undefined {
    // A subscriber hears the same few (publisher, topic) subjects again and again: one map lookup
    // instead of a slice and a regex per event (3.6 % of a subscriber's profile).
    let sender = this.#eventSenders.get(subject);
    if (sender !== undefined) return sender;
    sender = tokenAfter(this.#evtPrefix, subject);
    if (sender === undefined) return undefined;
    // Subjects come from the network: a stream of distinct ones must not grow this without bound.
    if (this.#eventSenders.size >= MAX_CACHED_SENDERS) this.#eventSenders.clear();
    this.#eventSenders.set(subject, sender);
    return sender;
  }

  /**
   * A presence message's type and sender (`P.presence.<type>.<peer>`), or
   * undefined when the subject is not one of ours.
   */
  presenceOf(subject: string): { readonly type: 'hello' | 'beat' | 'bye'; readonly sender: string } | undefined {
    if (!subject.startsWith(this.#presencePrefix)) return undefined;
    const rest = subject.slice(this.#presencePrefix.length);
    const dot = rest.indexOf('.');
    const type = rest.slice(0, dot);
    const sender = rest.slice(dot + 1);
    if (dot < 0 || (type !== 'hello' && type !== 'beat' && type !== 'bye') || !TOKEN.test(sender)) return undefined;
    return { type, sender };
  }

  /** What a "no responders" notice on `subject` (one of our reply-tos) is about. */
  unheard(subject: string): Unheard {
    if (!subject.startsWith(this.#selfPrefix)) return { kind: 'other' };
    const rest = subject.slice(this.#selfPrefix.length);
    if (rest.startsWith('r.')) {
      const dot = rest.indexOf('.', 2);
      const digits = rest.slice(2, dot);
      const id = Number(digits);
      const token = rest.slice(dot + 1);
      if (dot > 2 && Number.isSafeInteger(id) && id > 0 && String(id) === digits && TOKEN.test(token)) return { kind: 'request', id, token };
    } else if (rest.startsWith('t.')) {
      const peer = rest.slice(2);
      if (TOKEN.test(peer)) return { kind: 'peer', peer };
    }
    return { kind: 'other' };
  }

  /** Tokens before the method or topic part of a subject (for tests and tools). */
  get prefixTokens(): number {
    return this.#prefixTokens;
  }
}

/** The peer-id token right after `prefix` in `subject` (followed by more tokens), or undefined. */
function tokenAfter(prefix: string, subject: string): string | undefined {
  if (!subject.startsWith(prefix)) return undefined;
  const end = subject.indexOf('.', prefix.length);
  if (end < 0) return undefined;
  const peer = subject.slice(prefix.length, end);
  return TOKEN.test(peer) ? peer : undefined;
}

function cached(cache: Map<string, string>, key: string, make: () => string): string {
  let subject = cache.get(key);
  if (subject !== undefined) return subject;
  subject = make();
  // Names come from the application, and a bus with many of them (a topic per id) must not grow this without bound.
  if (cache.size >= MAX_CACHED_NAMES) cache.clear();
  cache.set(key, subject);
  return subject;
}

/**
 * Checks that a method or topic name maps to a NATS subject one-to-one:
 * dot-separated tokens, none empty, no whitespace, and `*`/`>` only as
 * whole tokens of a pattern (`>` last). Returns the name.
 */
export function checkSubjectName(kind: 'method' | 'topic', name: string, pattern: boolean): string {
  const problem = subjectProblem(name, pattern);
  if (problem !== undefined) {
    throw invalidArgument(
      `NATS cannot carry the ${kind} name ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} as a subject: ${problem}; rename the ${kind} (dot-separated words such as 'orders.get')`,
      { [kind]: name },
    );
  }
  return name;
}

function subjectProblem(name: string, pattern: boolean): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (/\s/.test(name)) return 'NATS subjects cannot contain whitespace';
  const tokens = name.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.length === 0) return 'it has an empty token (a leading, trailing or double dot)';
    if (token === '*' || token === '>') {
      if (!pattern) return `'${token}' is a NATS wildcard, only valid in a subscription pattern`;
      if (token === '>' && i !== tokens.length - 1) return "'>' must be the last token of a pattern";
    } else if (token.includes('*') || token.includes('>')) {
      return `'*' and '>' must be whole tokens (got '${token}')`;
    }
  }
  return undefined;
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

/** True for a peer id this transport can address (one token). */
export function isPeerToken(id: string): boolean {
  return TOKEN.test(id);
}

/** Checks a queue group name: NATS takes one word without whitespace or wildcards. */
export function checkQueue(queue: string): string {
  if (queue.length > 255 || !/^[A-Za-z0-9_.-]+$/.test(queue)) {
    throw invalidArgument(`NATS cannot use ${JSON.stringify(queue.length > 80 ? `${queue.slice(0, 80)}…` : queue)} as a queue group: write letters, digits, '_', '-' or '.' (at most 255), such as 'workers'`, {
      queue,
    });
  }
  return queue;
}
