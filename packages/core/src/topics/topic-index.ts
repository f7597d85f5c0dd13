import { validatePattern } from './topic-validation.js';

/** One `add` call; kept apart so the same value may be added several times. */
interface Registration<T> {
  /** Increasing with every add: orders results by insertion. */
  readonly order: number;
  readonly value: T;
}

/** A trie node: the pattern prefix that leads here, one token per level. */
interface TrieNode<T> {
  readonly literal: Map<string, TrieNode<T>>;
  star: TrieNode<T> | undefined;
  /** Patterns ending at this node. */
  readonly exact: Set<Registration<T>>;
  /** Patterns `<prefix>.>`: any topic with at least one more token. */
  readonly rest: Set<Registration<T>>;
}

/** Topics whose `lookup` answer is kept (past it the cache starts again). */
const LOOKUP_CACHE_SIZE = 256;
const NONE: readonly never[] = Object.freeze([]);

function newNode<T>(): TrieNode<T> {
  return { literal: new Map(), star: undefined, exact: new Set(), rest: new Set() };
}

/**
 * Subscriptions by pattern, looked up by topic. A token trie, so a lookup
 * visits only the branches a topic can reach (literal token, `*`, `>`) and
 * never scans every subscription.
 *
 * The same value may be added under several patterns (or twice under one);
 * `match` returns each value once, in the order its earliest matching `add`
 * happened.
 *
 * @example
 * ```ts
 * const subs = new TopicIndex<Handler>();
 * const remove = subs.add('orders.*.created', onCreated);
 * subs.match('orders.eu.created'); // [onCreated]
 * remove();
 * ```
 */
export class TopicIndex<T> {
  readonly #root: TrieNode<T> = newNode();
  #size = 0;
  #nextOrder = 0;
  /**
   * `lookup`'s answers by topic, dropped whole by every add and remove. A
   * subscriber sees the same few topics again and again, and the trie walk
   * with its arrays was the largest part of delivering an event after decoding.
   */
  readonly #cache = new Map<string, readonly T[]>();

  /** Number of registrations (adds not yet removed). */
  get size(): number {
    return this.#size;
  }

  /**
   * Registers `value` under `pattern` and returns a function that removes
   * exactly this registration (calling it again does nothing).
   *
   * @throws BusError `INVALID_ARGUMENT` when `pattern` is not a valid pattern.
   */
  add(pattern: string, value: T): () => void {
    validatePattern(pattern);
    const tokens = pattern.split('.');
    const registration: Registration<T> = { order: this.#nextOrder++, value };
    const lastIndex = tokens.length - 1;
    let node = this.#root;
    for (let i = 0; i < lastIndex; i++) node = child(node, tokens[i]!);
    const last = tokens[lastIndex]!;
    if (last === '>') node.rest.add(registration);
    else child(node, last).exact.add(registration);
    this.#size++;
    this.#cache.clear();

    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#remove(tokens, registration);
    };
  }

  /**
   * Values whose pattern matches `topic`, each once. `topic` must be valid
   * (see `validateTopic`); an invalid one simply matches less.
   * Returns a new array the caller may keep or change.
   */
  match(topic: string): T[] {
    const found: Registration<T>[] = [];
    collect(this.#root, topic, 0, found);
    if (found.length === 0) return [];
    if (found.length === 1) return [found[0]!.value];
    found.sort(byOrder);
    const seen = new Set<T>();
    const values: T[] = [];
    for (const { value } of found) {
      if (seen.has(value)) continue;
      seen.add(value);
      values.push(value);
    }
    return values;
  }

  /**
   * What `match` returns, as a shared array that must not be changed: the
   * same array for the same topic until the next `add` or remove, which
   * leave the arrays handed out before as they were (a caller iterating one
   * while a value is added or removed sees the values of its lookup).
   */
  lookup(topic: string): readonly T[] {
    let values = this.#cache.get(topic);
    if (values === undefined) {
      values = this.#size === 0 ? NONE : this.match(topic);
      // Topics come from peers too: a stream of distinct ones must not grow this without bound.
      if (this.#cache.size >= LOOKUP_CACHE_SIZE) this.#cache.clear();
      this.#cache.set(topic, values);
    }
    return values as readonly T[];
  }

  #remove(tokens: readonly string[], registration: Registration<T>): void {
    const path: TrieNode<T>[] = [this.#root];
    const lastIndex = tokens.length - 1;
    const last = tokens[lastIndex]!;
    const depth = last === '>' ? lastIndex : tokens.length;
    let node: TrieNode<T> | undefined = this.#root;
    for (let i = 0; i < depth && node !== undefined; i++) {
      const token = tokens[i]!;
      node = token === '*' ? node.star : node.literal.get(token);
      if (node !== undefined) path.push(node);
    }
    if (node === undefined) return; // cannot happen while add and remove stay in step
    const deleted = last === '>' ? node.rest.delete(registration) : node.exact.delete(registration);
    if (!deleted) return;
    this.#size--;
    this.#cache.clear();
    // Prune nodes left empty so a churn of one-off patterns does not grow the trie.
    for (let i = path.length - 1; i > 0; i--) {
      const current = path[i]!;
      if (!isEmpty(current)) break;
      const parent = path[i - 1]!;
      const token = tokens[i - 1]!;
      if (token === '*') parent.star = undefined;
      else parent.literal.delete(token);
    }
  }
}

function child<T>(node: TrieNode<T>, token: string): TrieNode<T> {
  if (token === '*') return (node.star ??= newNode());
  let next = node.literal.get(token);
  if (next === undefined) {
    next = newNode();
    node.literal.set(token, next);
  }
  return next;
}

function isEmpty<T>(node: TrieNode<T>): boolean {
  return node.exact.size === 0 && node.rest.size === 0 && node.star === undefined && node.literal.size === 0;
}

/** Adds the registrations under `node` that match the topic suffix starting at `start`. */
function collect<T>(node: TrieNode<T>, topic: string, start: number, found: Registration<T>[]): void {
  // At least one topic token is left here, which is all `>` asks for.
  if (node.rest.size !== 0) for (const registration of node.rest) found.push(registration);
  let end = topic.indexOf('.', start);
  const lastToken = end < 0;
  if (lastToken) end = topic.length;

  if (node.literal.size !== 0) {
    const literal = node.literal.get(topic.slice(start, end));
    if (literal !== undefined) descend(literal, topic, end, lastToken, found);
  }
  if (node.star !== undefined) descend(node.star, topic, end, lastToken, found);
}

function descend<T>(next: TrieNode<T>, topic: string, end: number, lastToken: boolean, found: Registration<T>[]): void {
  if (lastToken) for (const registration of next.exact) found.push(registration);
  else collect(next, topic, end + 1, found);
}

function byOrder<T>(a: Registration<T>, b: Registration<T>): number {
  return a.order - b.order;
}
