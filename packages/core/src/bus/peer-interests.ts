/**
 * The server side of interest routing: which patterns each client announced
 * (see `envelope/interest.ts`), in one `TopicIndex` keyed by peer, so that the
 * peers an event goes to cost one lookup per event, however many peers
 * there are. A peer that announced nothing (an older pipebus, or one whose
 * first announcement is still on its way) gets every event, as before.
 * A peer's patterns go when it leaves.
 *
 * Bounds (each tried by `bus-interest-attacks.test.ts`): at most
 * `maxInterestsPerPeer` patterns per peer, each a valid pattern of at most
 * 1024 characters, 8 tokens per pattern on average (the trie's memory); a
 * list longer than the bound is refused before any of it is read; at most
 * 4096 topics' targets cached. A malformed announcement
 * drops its peer (a pipebus client never sends one). One over the count
 * does not: the peer gets every event instead, which is correct, and is told
 * once; dropping it made it reconnect and announce the same list forever.
 */
import { BusError } from '../errors/bus-error.js';
import { MAX_TOPIC_LENGTH } from '../topics/topic-validation.js';
import { TopicIndex } from '../topics/topic-index.js';
import { checkSubjectFully, isPlainTopic } from '../topics/topic-validation.js';
import type { PeerId } from '../transport/index.js';
import { TOKENS_PER_INTEREST, parseInterest, tokenCount } from '../envelope/interest.js';

/** Topics whose targets are remembered at once. */
export const MAX_CACHED_TOPICS = 4096;

/**
 * An announcement this bus refused, and what to do about its peer: `drop` a
 * malformed one's; `tell` a peer that just went over the count that it now
 * gets everything; `count` a peer already told.
 */
export interface InterestRefusal {
  readonly error: BusError;
  readonly action: 'drop' | 'tell' | 'count';
}

/** Sizes of the tables, for tests of their bounds. */
export interface PeerInterestSizes {
  /** Peers with announced patterns. */
  readonly announcing: number;
  /** Peers that get everything (announced nothing, a later format, or over the count). */
  readonly silent: number;
  /** Patterns held, all peers together. */
  readonly patterns: number;
  /** Topics (and excepted peers) whose targets are cached. */
  readonly cached: number;
  /** Tokens of the patterns held, all peers together (each a trie node at most). */
  readonly tokens: number;
}

/** One announcing peer's patterns, each with its removal from the index, and their tokens in all. */
interface Held {
  readonly patterns: Map<string, () => void>;
  tokens: number;
}

/** Patterns by peer, and the peers that announced none (internal to the bus). */
export class PeerInterests {
  readonly #index = new TopicIndex<PeerId>();
  /** Each announcing peer's patterns, with the removal of each from the index. */
  readonly #byPeer = new Map<PeerId, Held>();
  #tokens = 0;
  /** Connected peers that announced nothing: they get every event. */
  readonly #silent = new Set<PeerId>();
  /**
   * Targets by topic (and excepted peer), emptied by any change of peers or
   * patterns. A publisher repeats its topics: without it, the lookup (trie
   * walk, sort, dedupe) doubled the CPU of a publish to 8 subscribers
   * (2.3 → 4.8 µs, /tmp/i18-cpu.mjs in the issue 18 report).
   */
  readonly #cache = new Map<string, readonly PeerId[]>();
  /**
   * The same for relayed events, by their publisher first: a two-level
   * lookup, not a `topic + NUL + peer` key, which cost a string to build and
   * hash on every relayed event.
   */
  readonly #cacheExcept = new Map<PeerId, Map<string, readonly PeerId[]>>();
  /** Entries in both caches together. */
  #cached = 0;
  /**
   * Silent peers that went over the count: their `add` and `del` are read
   * and ignored (they get everything anyway) until a `set` within bounds.
   */
  readonly #overflowed = new Set<PeerId>();

  /** @param maxPerPeer - the bus's `maxInterestsPerPeer`. */
  constructor(private readonly maxPerPeer: number) {}

  /** True once any connected peer announced: only then is an event routed peer by peer. */
  get active(): boolean {
    return this.#byPeer.size !== 0;
  }

  /** A peer connected: until it announces, it gets everything. */
  connected(peer: PeerId): void {
    if (this.#byPeer.has(peer)) return;
    this.#silent.add(peer);
    this.#clearCache();
  }

  /** A peer left (or was dropped): its patterns go with it. */
  forget(peer: PeerId): void {
    this.#clearCache();
    this.#silent.delete(peer);
    this.#overflowed.delete(peer);
    const held = this.#byPeer.get(peer);
    if (held === undefined) return;
    for (const remove of held.patterns.values()) remove();
    this.#tokens -= held.tokens;
    this.#byPeer.delete(peer);
  }

  /**
   * Applies a peer's announcement. Returns what this bus refused, if
   * anything, and whether to drop the peer for it.
   */
  apply(peer: PeerId, payload: unknown): InterestRefusal | undefined {
    const parsed = parseInterest(payload);
    if (typeof parsed === 'string') return { error: new BusError('DECODE_FAILED', parsed), action: 'drop' };
    if (parsed.op === 'unknown-version') {
      // A format from a later pipebus: everything is always correct, only slower.
      this.forget(peer);
      this.#silent.add(peer);
      return undefined;
    }
    const { op, patterns } = parsed;
    // Before looking at any pattern: a list this long is refused whatever it holds.
    if (patterns.length > this.maxPerPeer) return this.#overflow(peer, patterns.length, undefined);
    for (const pattern of patterns) {
      if (typeof pattern === 'string' && isPlainTopic(pattern)) continue;
      const problem = checkSubjectFully('pattern', pattern);
      if (problem !== undefined) {
        const error = new BusError('INVALID_ARGUMENT', `announced an interest in an ${problem.message.slice(0, 200)} (patterns are at most ${MAX_TOPIC_LENGTH} characters)`);
        return { error, action: 'drop' };
      }
    }
    const valid = patterns as readonly string[];
    // Its changes say nothing about a list this bus no longer holds; only a whole one does.
    if (op !== 'set' && this.#overflowed.has(peer)) return undefined;
    this.#clearCache();
    let held = this.#byPeer.get(peer);
    if (held === undefined) {
      held = { patterns: new Map(), tokens: 0 };
      this.#byPeer.set(peer, held);
      this.#silent.delete(peer);
    }
    if (op === 'set') {
      const wanted = new Set(valid);
      for (const pattern of held.patterns.keys()) {
        if (!wanted.has(pattern)) this.#remove(held, pattern);
      }
    }
    if (op === 'del') {
      // A pattern it never added is no change: nothing to grow, nothing to refuse.
      for (const pattern of valid) this.#remove(held, pattern);
      return undefined;
    }
    const maxTokens = TOKENS_PER_INTEREST * this.maxPerPeer;
    for (const pattern of valid) {
      if (held.patterns.has(pattern)) continue;
      const tokens = tokenCount(pattern);
      if (held.patterns.size >= this.maxPerPeer) return this.#overflow(peer, held.patterns.size + 1, undefined);
      if (held.tokens + tokens > maxTokens) return this.#overflow(peer, held.patterns.size + 1, held.tokens + tokens);
      held.patterns.set(pattern, this.#index.add(pattern, peer));
      held.tokens += tokens;
      this.#tokens += tokens;
    }
    // Within bounds again (after a `set`): told anew if it goes over again.
    this.#overflowed.delete(peer);
    return undefined;
  }

  /**
   * The peers an event on `topic` goes to, but `except` (its publisher, when
   * relaying): every silent peer and those with a matching pattern. One
   * index lookup, never a match per peer (none when the topic was asked
   * for since the last change). The array is shared: read it, never change it.
   */
  targets(topic: string, except: PeerId | undefined): readonly PeerId[] {
    let cache = this.#cache;
    if (except !== undefined) {
      let own = this.#cacheExcept.get(except);
      if (own === undefined) this.#cacheExcept.set(except, (own = new Map()));
      cache = own;
    }
    const cached = cache.get(topic);
    if (cached !== undefined) return cached;
    const matched = this.#index.match(topic);
    let targets: PeerId[] = matched;
    if (this.#silent.size !== 0 || except !== undefined) {
      targets = [];
      for (const peer of this.#silent) if (peer !== except) targets.push(peer);
      for (const peer of matched) if (peer !== except) targets.push(peer);
    }
    // Bounded: a publisher of ever-new topics must not grow it without end.
    if (this.#cached >= MAX_CACHED_TOPICS) {
      this.#clearCache();
      cache.clear();
      if (except !== undefined) this.#cacheExcept.set(except, cache);
    }
    cache.set(topic, targets);
    this.#cached++;
    return targets;
  }

  #clearCache(): void {
    this.#cache.clear();
    this.#cacheExcept.clear();
    this.#cached = 0;
  }

  /** Forgets everyone: the transport closed. */
  clear(): void {
    this.#clearCache();
    for (const peer of [...this.#byPeer.keys()]) this.forget(peer);
    this.#silent.clear();
    this.#overflowed.clear();
  }

  /** Sizes of the tables (tests of their bounds). */
  sizes(): PeerInterestSizes {
    return { announcing: this.#byPeer.size, silent: this.#silent.size, patterns: this.#index.size, cached: this.#cached, tokens: this.#tokens };
  }

  /** Removes one of a peer's patterns, if it holds it. */
  #remove(held: Held, pattern: string): void {
    const remove = held.patterns.get(pattern);
    if (remove === undefined) return;
    remove();
    held.patterns.delete(pattern);
    const tokens = tokenCount(pattern);
    held.tokens -= tokens;
    this.#tokens -= tokens;
  }

  /**
   * `peer` announced `count` patterns (of `tokens` tokens, when those are
   * what is over), over the bound: its patterns go, and it gets everything.
   */
  #overflow(peer: PeerId, count: number, tokens: number | undefined): InterestRefusal {
    const told = this.#overflowed.has(peer);
    this.forget(peer);
    this.#silent.add(peer);
    this.#overflowed.add(peer);
    const max = this.maxPerPeer;
    const what =
      tokens === undefined
        ? `announced ${count} subscription patterns, above this server's maxInterestsPerPeer ${max}`
        : `announced ${count} subscription patterns of ${tokens} tokens in all, above this server's ${TOKENS_PER_INTEREST * max} (${TOKENS_PER_INTEREST} per pattern of maxInterestsPerPeer ${max})`;
    const error = new BusError(
      'INVALID_ARGUMENT',
      `${what}, so it now sends this client every event (correct, only slower) until the client announces few enough: subscribe to fewer, wider, shorter patterns (orders.> instead of one per order), or raise maxInterestsPerPeer on the server's bus`,
      { details: tokens === undefined ? { count, max } : { count, tokens, maxTokens: TOKENS_PER_INTEREST * max } },
    );
    return { error, action: told ? 'count' : 'tell' };
  }
}

