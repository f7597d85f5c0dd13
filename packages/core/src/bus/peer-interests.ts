/**
 * The server side of interest routing: which patterns each client announced
 * (see `envelope/interest.ts`), in one `TopicIndex` keyed by peer, so that the
 * peers an event goes to cost one lookup per event, however many peers
 * there are. A peer that announced nothing (an older pipebus, or one whose
 * first announcement is still on its way) gets every event, as before.
 * A peer's patterns go when it leaves.
 */
import { BusError } from '../errors/index.js';
import { MAX_TOPIC_LENGTH, TopicIndex } from '../topics/index.js';
import { checkSubjectFully, isPlainTopic } from '../topics/topic-validation.js';
import type { PeerId } from '../transport/index.js';
import { parseInterest } from '../envelope/interest.js';

/** Topics whose targets are remembered at once. */
const MAX_CACHED_TOPICS = 4096;

/** Patterns by peer, and the peers that announced none (internal to the bus). */
export class PeerInterests {
  readonly #index = new TopicIndex<PeerId>();
  /** Each announcing peer's patterns, with the removal of each from the index. */
  readonly #byPeer = new Map<PeerId, Map<string, () => void>>();
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
    const patterns = this.#byPeer.get(peer);
    if (patterns === undefined) return;
    for (const remove of patterns.values()) remove();
    this.#byPeer.delete(peer);
  }

  /**
   * Applies a peer's announcement. Returns the error to reject the peer
   * with when the announcement is malformed or over this bus's bounds.
   */
  apply(peer: PeerId, payload: unknown): BusError | undefined {
    const parsed = parseInterest(payload);
    if (typeof parsed === 'string') return new BusError('DECODE_FAILED', parsed);
    if (parsed.op === 'unknown-version') {
      // A format from a later pipebus: everything is always correct, only slower.
      this.forget(peer);
      this.#silent.add(peer);
      return undefined;
    }
    const { op, patterns } = parsed;
    // Before looking at any pattern: a list this long is refused whatever it holds.
    if (patterns.length > this.maxPerPeer) return this.#overBound(patterns.length);
    for (const pattern of patterns) {
      if (typeof pattern === 'string' && isPlainTopic(pattern)) continue;
      const problem = checkSubjectFully('pattern', pattern);
      if (problem !== undefined) {
        return new BusError('INVALID_ARGUMENT', `announced an interest in an ${problem.message.slice(0, 200)} (patterns are at most ${MAX_TOPIC_LENGTH} characters)`);
      }
    }
    const valid = patterns as readonly string[];
    this.#clearCache();
    let held = this.#byPeer.get(peer);
    if (held === undefined) {
      held = new Map();
      this.#byPeer.set(peer, held);
      this.#silent.delete(peer);
    }
    if (op === 'set') {
      const wanted = new Set(valid);
      for (const [pattern, remove] of held) {
        if (wanted.has(pattern)) continue;
        remove();
        held.delete(pattern);
      }
    }
    if (op === 'del') {
      for (const pattern of valid) {
        held.get(pattern)?.();
        held.delete(pattern);
      }
      return undefined;
    }
    for (const pattern of valid) {
      if (held.has(pattern)) continue;
      if (held.size >= this.maxPerPeer) return this.#overBound(held.size + 1);
      held.set(pattern, this.#index.add(pattern, peer));
    }
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
  }

  #overBound(count: number): BusError {
    return new BusError(
      'INVALID_ARGUMENT',
      `announced ${count} subscription patterns, above this server's maxInterestsPerPeer ${this.maxPerPeer}; subscribe to fewer, wider patterns (orders.> instead of one per order), or raise maxInterestsPerPeer on the server's bus`,
      { details: { count, max: this.maxPerPeer } },
    );
  }
}
