import { describe, expect, it } from '@jest/globals';
import { MAX_CACHED_TOPICS, PeerInterests } from '../src/bus/peer-interests.js';

// The server's table of announced patterns under announcements that try to
// outgrow it: every size is read back, so a leak fails here, not in production.

const set = (p: unknown[]) => ({ v: 1, op: 'set', p });
const add = (p: unknown[]) => ({ v: 1, op: 'add', p });
const del = (p: unknown[]) => ({ v: 1, op: 'del', p });

describe('PeerInterests bounds', () => {
  it('stays empty under an add/del churn of ever-new patterns from many peers', () => {
    // 250 patterns per peer come and go, against a bound of 64 at a time.
    const table = new PeerInterests(64);
    for (let peer = 0; peer < 8; peer++) table.connected(`p${peer}`);
    const refusals: unknown[] = [];
    for (let i = 0; i < 2000; i++) {
      const peer = `p${i % 8}`;
      const pattern = `churn.${i}.*.x${i}`;
      refusals.push(table.apply(peer, add([pattern])));
      table.targets(`churn.${i}.a.x${i}`, undefined);
      refusals.push(table.apply(peer, del([pattern])));
    }
    expect(refusals.filter((r) => r !== undefined)).toEqual([]);
    expect(table.sizes()).toEqual({ announcing: 8, silent: 0, patterns: 0, cached: 0, tokens: 0 });
  });

  it('ignores a del of patterns never added: nothing grows, nothing is refused', () => {
    const table = new PeerInterests(4);
    table.connected('p');
    expect(table.apply('p', set(['kept']))).toBeUndefined();
    expect(table.apply('p', del(['never', 'added', 'at.all', 'kept.not']))).toBeUndefined();
    expect(table.sizes()).toMatchObject({ announcing: 1, patterns: 1 });
    expect(table.targets('kept', undefined)).toEqual(['p']);
  });

  it('lets a set replace a list at the bound with one pattern, freeing the rest', () => {
    const table = new PeerInterests(4096);
    table.connected('p');
    const huge = Array.from({ length: 4096 }, (_, i) => `many.${i}`);
    expect(table.apply('p', set(huge))).toBeUndefined();
    expect(table.sizes()).toMatchObject({ patterns: 4096, tokens: 2 * 4096 });
    expect(table.apply('p', set(['one']))).toBeUndefined();
    expect(table.sizes()).toMatchObject({ patterns: 1, tokens: 1 });
    expect(table.targets('many.7', undefined)).toEqual([]);
    expect(table.targets('one', undefined)).toEqual(['p']);
  });

  it('keeps at most 4096 topics of cached targets, whatever a publisher sends', () => {
    const table = new PeerInterests(8);
    table.connected('p');
    table.apply('p', set(['t.>']));
    let most = 0;
    for (let i = 0; i < 3 * MAX_CACHED_TOPICS; i++) {
      table.targets(`t.${i}`, i % 2 === 0 ? undefined : 'q');
      most = Math.max(most, table.sizes().cached);
    }
    expect(MAX_CACHED_TOPICS).toBe(4096);
    expect(most).toBe(MAX_CACHED_TOPICS);
  });

  it('forgets everything of a peer that leaves mid-stream', () => {
    const table = new PeerInterests(4096);
    table.connected('gone');
    table.connected('stays');
    table.apply('gone', set(Array.from({ length: 1000 }, (_, i) => `a.${i}`)));
    table.apply('gone', add(['b.>']));
    table.apply('stays', set(['a.1']));
    table.targets('a.1', undefined);
    table.forget('gone');
    expect(table.sizes()).toEqual({ announcing: 1, silent: 0, patterns: 1, cached: 0, tokens: 2 });
    expect(table.targets('a.1', undefined)).toEqual(['stays']);
  });

  it('over the count: frees the peer’s patterns, sends it everything, tells it once, and routes it again after a set within bounds', () => {
    const table = new PeerInterests(3);
    table.connected('p');
    table.apply('p', set(['a', 'b', 'c']));
    const first = table.apply('p', add(['d']));
    expect(first).toMatchObject({ action: 'tell', error: { code: 'INVALID_ARGUMENT', details: { count: 4, max: 3 } } });
    expect(first?.error.message).toContain("announced 4 subscription patterns, above this server's maxInterestsPerPeer 3, so it now sends this client every event");
    expect(table.sizes()).toEqual({ announcing: 0, silent: 1, patterns: 0, cached: 0, tokens: 0 });
    expect(table.targets('zzz', undefined)).toEqual(['p']);
    // Changes to a list the server no longer holds are read (and checked) but change nothing.
    expect(table.apply('p', add(['e']))).toBeUndefined();
    expect(table.apply('p', del(['a']))).toBeUndefined();
    expect(table.apply('p', add(['a.>.b']))).toMatchObject({ action: 'drop' });
    expect(table.sizes().patterns).toBe(0);
    // Over again: counted, not told again.
    expect(table.apply('p', set(['1', '2', '3', '4', '5']))).toMatchObject({ action: 'count' });
    expect(table.apply('p', set(['a']))).toBeUndefined();
    expect(table.sizes()).toEqual({ announcing: 1, silent: 0, patterns: 1, cached: 0, tokens: 1 });
    expect(table.targets('zzz', undefined)).toEqual([]);
    expect(table.apply('p', add(['1', '2', '3']))).toMatchObject({ action: 'tell' });
  });

  it('bounds the tokens of a peer’s patterns (8 per pattern allowed), which are what the trie costs', () => {
    const table = new PeerInterests(4);
    table.connected('p');
    const long = (i: number, tokens: number) => [`t${i}`, ...new Array<string>(tokens - 1).fill('*')].join('.');
    // 32 tokens in all are allowed, however they are spread.
    expect(table.apply('p', set([long(1, 29), 'a', 'b', 'c']))).toBeUndefined();
    expect(table.sizes()).toMatchObject({ patterns: 4, tokens: 32 });
    const refusal = table.apply('p', set([long(1, 29), long(2, 4)]));
    expect(refusal).toMatchObject({ action: 'tell', error: { code: 'INVALID_ARGUMENT', details: { count: 2, tokens: 33, maxTokens: 32 } } });
    expect(refusal?.error.message).toContain("announced 2 subscription patterns of 33 tokens in all, above this server's 32 (8 per pattern of maxInterestsPerPeer 4), so it now sends this client every event");
    expect(table.sizes()).toEqual({ announcing: 0, silent: 1, patterns: 0, cached: 0, tokens: 0 });
    // The worst a peer can do at the default: 4096 patterns of 510 tokens each held 2 million trie nodes.
    const big = new PeerInterests(4096);
    big.connected('q');
    const worst = Array.from({ length: 4096 }, (_, i) => long(i, 510));
    expect(big.apply('q', set(worst))).toMatchObject({ action: 'tell' });
    expect(big.sizes()).toMatchObject({ patterns: 0, tokens: 0 });
    // Over already: its adds change nothing; 65 such patterns are over 32 768 tokens, 64 are not.
    expect(big.apply('q', add(worst.slice(0, 64)))).toBeUndefined();
    expect(big.apply('q', set(worst.slice(0, 65)))).toMatchObject({ action: 'count' });
    expect(big.apply('q', set(worst.slice(0, 64)))).toBeUndefined();
    expect(big.sizes()).toMatchObject({ patterns: 64, tokens: 64 * 510 });
  });

  it('refuses a list longer than the bound before reading any of it', () => {
    const table = new PeerInterests(16);
    table.connected('p');
    // Elements that would each be a refusal on their own, and getters that must never run.
    const huge = new Array<unknown>(1_000_000).fill({ nested: [[[{}]]] });
    expect(table.apply('p', set(huge))).toMatchObject({ action: 'tell', error: { details: { count: 1_000_000, max: 16 } } });
  });

  it('refuses malformed payloads with a message that says what to send instead', () => {
    const table = new PeerInterests(16);
    table.connected('p');
    const cases: Array<[unknown, string, string]> = [
      [null, 'DECODE_FAILED', 'interest announcement is null; expected an object { v: 1, op, p }'],
      ['set', 'DECODE_FAILED', 'interest announcement is "set"; expected an object'],
      [[1, 'set', []], 'DECODE_FAILED', 'interest announcement is an array; expected an object'],
      [{ op: 'set', p: [] }, 'DECODE_FAILED', 'has version (v) undefined; expected 1, or a later integer'],
      [{ v: '1', op: 'set', p: [] }, 'DECODE_FAILED', 'has version (v) "1"; expected 1'],
      [{ v: 1.5, op: 'set', p: [] }, 'DECODE_FAILED', 'has version (v) 1.5; expected 1'],
      [{ v: 0, op: 'set', p: [] }, 'DECODE_FAILED', 'has version (v) 0; expected 1'],
      [{ v: 1, op: 'replace', p: [] }, 'DECODE_FAILED', `has op "replace"; expected 'set', 'add' or 'del'`],
      [{ v: 1, op: { $ne: 1 }, p: [] }, 'DECODE_FAILED', 'has op object; expected'],
      [{ v: 1, op: 'add', p: 'a.b' }, 'DECODE_FAILED', 'has "a.b" for its pattern list (p); expected an array of patterns'],
      [{ v: 1, op: 'add', p: { 0: 'a', length: 1 } }, 'DECODE_FAILED', 'has object for its pattern list (p)'],
      [{ v: 1, op: 'add', p: [42] }, 'INVALID_ARGUMENT', 'announced an interest in an invalid pattern: expected a string'],
      [{ v: 1, op: 'add', p: [['nested', ['junk']]] }, 'INVALID_ARGUMENT', 'announced an interest in an invalid pattern: expected a string'],
      [{ v: 1, op: 'add', p: ['ok', { a: 1 }] }, 'INVALID_ARGUMENT', 'expected a string'],
      [{ v: 1, op: 'set', p: [''] }, 'INVALID_ARGUMENT', 'it is empty'],
      [{ v: 1, op: 'set', p: ['a..b'] }, 'INVALID_ARGUMENT', 'token 2 of 3 is empty'],
      [{ v: 1, op: 'set', p: ['a b'] }, 'INVALID_ARGUMENT', 'contains whitespace'],
      [{ v: 1, op: 'del', p: [`a.${'b'.repeat(5000)}`] }, 'INVALID_ARGUMENT', 'it is 5002 characters long, at most 1024 are allowed'],
    ];
    for (const [payload, code, message] of cases) {
      const refusal = table.apply('p', payload);
      expect({ payload, action: refusal?.action, code: refusal?.error.code }).toEqual({ payload, action: 'drop', code });
      expect(refusal?.error.message).toContain(message);
      expect(refusal!.error.message.length).toBeLessThan(600);
    }
    // Nothing of it was kept.
    expect(table.sizes()).toEqual({ announcing: 0, silent: 1, patterns: 0, cached: 0, tokens: 0 });
  });

  it('takes a later format version for "everything", and a set after it for routing again', () => {
    const table = new PeerInterests(16);
    table.connected('p');
    table.apply('p', set(['a']));
    expect(table.apply('p', { v: 2, whatever: [1, 2, 3] })).toBeUndefined();
    expect(table.sizes()).toEqual({ announcing: 0, silent: 1, patterns: 0, cached: 0, tokens: 0 });
    expect(table.apply('p', set(['a']))).toBeUndefined();
    expect(table.targets('b', undefined)).toEqual([]);
  });
});
