import { describe, expect, it } from '@jest/globals';
import { mulberry32 } from '@pipebus/test-support';
import { TopicIndex, matchTopic } from '../src/topics/index.js';


/** An obviously-correct (slow) reading of the NATS rules, to check matchTopic against. */
function referenceMatch(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

describe('TopicIndex', () => {
  it('returns the values whose patterns match', () => {
    const index = new TopicIndex<string>();
    index.add('orders.eu.created', 'exact');
    index.add('orders.*.created', 'star');
    index.add('orders.>', 'rest');
    index.add('>', 'all');
    index.add('payments.>', 'other');
    expect(index.match('orders.eu.created')).toEqual(['exact', 'star', 'rest', 'all']);
    expect(index.match('orders.us.created')).toEqual(['star', 'rest', 'all']);
    expect(index.match('orders.eu')).toEqual(['rest', 'all']);
    expect(index.match('orders')).toEqual(['all']);
    expect(index.match('payments.x')).toEqual(['all', 'other']);
    expect(index.size).toBe(5);
  });

  it('returns each value once even when several of its patterns match, in insertion order', () => {
    const index = new TopicIndex<string>();
    index.add('a.>', 'second');
    index.add('a.b', 'first');
    index.add('a.*', 'second');
    index.add('>', 'first');
    index.add('a.b', 'third');
    expect(index.match('a.b')).toEqual(['second', 'first', 'third']);
  });

  it('removes exactly the registration its remover belongs to', () => {
    const index = new TopicIndex<string>();
    const removeStar = index.add('a.*', 'h');
    const removeExact = index.add('a.b', 'h');
    const removeTwice = index.add('a.b', 'h');
    expect(index.size).toBe(3);
    expect(index.match('a.b')).toEqual(['h']);
    removeExact();
    expect(index.match('a.b')).toEqual(['h']);
    removeStar();
    expect(index.match('a.b')).toEqual(['h']);
    expect(index.match('a.c')).toEqual([]);
    removeTwice();
    expect(index.match('a.b')).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('treats a second call of a remover as a no-op', () => {
    const index = new TopicIndex<number>();
    const remove = index.add('x.>', 1);
    index.add('x.>', 2);
    remove();
    remove();
    expect(index.size).toBe(1);
    expect(index.match('x.y')).toEqual([2]);
  });

  it('can add a pattern again after all its registrations were removed', () => {
    const index = new TopicIndex<number>();
    index.add('a.b.c', 1)();
    index.add('a.*.c', 2)();
    index.add('a.>', 3)();
    expect(index.match('a.b.c')).toEqual([]);
    index.add('a.b.c', 4);
    expect(index.match('a.b.c')).toEqual([4]);
  });

  it('rejects invalid patterns with INVALID_ARGUMENT', () => {
    const index = new TopicIndex<number>();
    expect(() => index.add('a.>.b', 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(index.size).toBe(0);
  });

  it('returns a fresh array the caller may change', () => {
    const index = new TopicIndex<number>();
    index.add('a', 1);
    index.match('a').push(99);
    expect(index.match('a')).toEqual([1]);
  });

  it('agrees with matchTopic and the reference rules over thousands of random patterns and topics', () => {
    const random = mulberry32(20240601);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const words = ['a', 'b', 'c', 'ab'];
    const randomTopic = (): string =>
      Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(words)).join('.');
    const randomPattern = (): string => {
      const length = 1 + Math.floor(random() * 4);
      const tokens = Array.from({ length }, () => (random() < 0.25 ? '*' : pick(words)));
      if (random() < 0.3) tokens[length - 1] = '>';
      return tokens.join('.');
    };

    const index = new TopicIndex<number>();
    const live = new Map<number, { pattern: string; remove: () => void }>();
    for (let id = 0; id < 400; id++) {
      const pattern = randomPattern();
      live.set(id, { pattern, remove: index.add(pattern, id) });
    }
    // Churn: remove a random third so pruning is exercised too.
    for (const [id, entry] of live) {
      if (random() < 0.33) {
        entry.remove();
        live.delete(id);
      }
    }
    expect(index.size).toBe(live.size);

    let checks = 0;
    for (let i = 0; i < 3000; i++) {
      const topic = randomTopic();
      const expected = [...live].filter(([, { pattern }]) => matchTopic(pattern, topic)).map(([id]) => id);
      expect(index.match(topic)).toEqual(expected);
      const pattern = randomPattern();
      expect(matchTopic(pattern, topic)).toBe(referenceMatch(pattern, topic));
      checks++;
    }
    expect(checks).toBe(3000);
  });

  it('lookup answers as match does, a new array after each add and remove, and leaves arrays handed out before unchanged', () => {
    const index = new TopicIndex<number>();
    expect(index.lookup('a.b')).toEqual([]);
    const removeOne = index.add('a.*', 1);
    const first = index.lookup('a.b');
    expect(first).toEqual([1]);
    // The same topic again: the same (shared) array, until the index changes.
    expect(index.lookup('a.b')).toBe(first);
    const removeTwo = index.add('a.>', 2);
    const second = index.lookup('a.b');
    expect(second).toEqual([1, 2]);
    expect(first).toEqual([1]);
    removeOne();
    expect(index.lookup('a.b')).toEqual([2]);
    expect(second).toEqual([1, 2]);
    removeTwo();
    expect(index.lookup('a.b')).toEqual([]);
    // A remover called again changes nothing, and the answer stays the one cached.
    const empty = index.lookup('a.b');
    removeOne();
    expect(index.lookup('a.b')).toBe(empty);
  });

  it('lookup agrees with match over random adds, removes and many distinct topics (past the cache bound)', () => {
    const random = mulberry32(7);
    const words = ['a', 'b', 'c'];
    const token = (): string => words[Math.floor(random() * words.length)]!;
    const index = new TopicIndex<number>();
    const removers: (() => void)[] = [];
    for (let step = 0; step < 2000; step++) {
      const r = random();
      if (r < 0.05) removers.push(index.add(random() < 0.3 ? `${token()}.>` : `${token()}.*.${token()}`, step));
      else if (r < 0.08 && removers.length > 0) removers.splice(Math.floor(random() * removers.length), 1)[0]!();
      // Topics with a number in them: more distinct ones than the cache keeps.
      const topic = random() < 0.5 ? `${token()}.${token()}.${token()}` : `${token()}.n${step % 300}.${token()}`;
      expect(index.lookup(topic)).toEqual(index.match(topic));
    }
  });
});
