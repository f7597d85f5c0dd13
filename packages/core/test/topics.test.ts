import { describe, expect, it } from '@jest/globals';
import { BusError } from '../src/errors/index.js';
import { MAX_TOPIC_LENGTH, matchTopic, validatePattern, validateTopic } from '../src/topics/index.js';
import { checkSubjectFully, isPlainTopic } from '../src/topics/topic-validation.js';
import { thrown as thrownBy } from '@pipebus/test-support';

describe('matchTopic follows the NATS rules', () => {
  const table: Array<[pattern: string, topic: string, expected: boolean]> = [
    // literals
    ['orders', 'orders', true],
    ['orders', 'order', false],
    ['orders', 'orders2', false],
    ['orders.eu.created', 'orders.eu.created', true],
    ['orders.eu.created', 'orders.eu.updated', false],
    ['orders.eu.created', 'orders.eu', false],
    ['orders.eu', 'orders.eu.created', false],
    ['orders.eu', 'orders.us', false],
    ['a.b', 'a.bc', false],
    ['a.bc', 'a.b', false],
    ['ab.c', 'a.bc', false],
    ['Orders', 'orders', false],
    ['ordres.eu', 'orders.eu', false],
    ['é.ü', 'é.ü', true],
    // '*' is exactly one token
    ['orders.*', 'orders.new', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.a.b', false],
    ['orders.*', 'other.new', false],
    ['*', 'orders', true],
    ['*', 'orders.new', false],
    ['*.created', 'orders.created', true],
    ['*.created', 'orders.eu.created', false],
    ['*.created', 'created', false],
    ['orders.*.created', 'orders.eu.created', true],
    ['orders.*.created', 'orders.created', false],
    ['orders.*.created', 'orders.eu.us.created', false],
    ['orders.*.created', 'orders.eu.updated', false],
    ['*.*', 'a.b', true],
    ['*.*', 'a', false],
    ['*.*', 'a.b.c', false],
    ['*.*.*', 'a.b.c', true],
    ['a.*.*', 'a.b', false],
    // '>' is one or more trailing tokens
    ['orders.>', 'orders.a', true],
    ['orders.>', 'orders.a.b', true],
    ['orders.>', 'orders.a.b.c.d.e', true],
    ['orders.>', 'orders', false],
    ['orders.>', 'ordersx.a', false],
    ['orders.>', 'other.a', false],
    ['>', 'orders', true],
    ['>', 'orders.a.b', true],
    ['a.b.>', 'a.b', false],
    ['a.b.>', 'a.b.c', true],
    ['a.b.>', 'a.c.d', false],
    // mixed
    ['*.>', 'a', false],
    ['*.>', 'a.b', true],
    ['*.>', 'a.b.c', true],
    ['orders.*.>', 'orders.eu.created', true],
    ['orders.*.>', 'orders.eu', false],
    ['*.eu.>', 'orders.eu.created.today', true],
    ['*.eu.>', 'orders.us.created', false],
    // wildcard characters in a topic are literal tokens for matchTopic
    ['orders.new', 'orders.*', false],
  ];

  it('has a meaningful table', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });

  it.each(table)('pattern %p vs topic %p → %p', (pattern, topic, expected) => {
    validatePattern(pattern);
    if (!topic.split('.').some((t) => t === '*' || t === '>')) validateTopic(topic);
    expect(matchTopic(pattern, topic)).toBe(expected);
  });
});

/** Runs `fn` and returns the BusError it throws. */
const thrown = (fn: () => unknown): BusError => thrownBy(fn, BusError);

describe('validatePattern', () => {
  const valid = ['orders', 'orders.eu.created', '*', '>', 'orders.*', 'orders.>', '*.*.>', 'a-b_c.D9', 'é.ü', 'x'.repeat(MAX_TOPIC_LENGTH)];
  it.each(valid)('accepts %p', (pattern) => {
    expect(() => validatePattern(pattern)).not.toThrow();
  });

  const invalid: Array<[unknown, string]> = [
    ['a.>.b', "invalid pattern 'a.>.b': '>' may only be the last token"],
    ['>.a', "invalid pattern '>.a': '>' may only be the last token"],
    ['', "invalid pattern '': it is empty; give at least one token, e.g. 'orders.created'"],
    ['a..b', "invalid pattern 'a..b': token 2 of 3 is empty; remove the leading, trailing or doubled '.'"],
    ['.a', "invalid pattern '.a': token 1 of 2 is empty; remove the leading, trailing or doubled '.'"],
    ['a.', "invalid pattern 'a.': token 2 of 2 is empty; remove the leading, trailing or doubled '.'"],
    ['.', "invalid pattern '.': token 1 of 2 is empty; remove the leading, trailing or doubled '.'"],
    ['a b', "invalid pattern 'a b': token 'a b' contains whitespace or a control character; tokens are separated by '.' only"],
    ['a.\tb', "invalid pattern 'a.\\tb': token '\\tb' contains whitespace or a control character; tokens are separated by '.' only"],
    ['a.b\u0000', "invalid pattern 'a.b\\u0000': token 'b\\u0000' contains whitespace or a control character; tokens are separated by '.' only"],
    ['a.\u00a0', "invalid pattern 'a.\u00a0': token '\u00a0' contains whitespace or a control character; tokens are separated by '.' only"],
    ['orders.a*', "invalid pattern 'orders.a*': '*' is a wildcard only as a whole token; 'a*' mixes it with other characters (did you mean 'orders.*'?)"],
    ['a.b>', "invalid pattern 'a.b>': '>' is a wildcard only as a whole token; 'b>' mixes it with other characters (did you mean 'a.>'?)"],
    ['**', "invalid pattern '**': '*' is a wildcard only as a whole token; '**' mixes it with other characters (did you mean '*'?)"],
    [42, 'invalid pattern: expected a string such as \'orders.created\', got number'],
    [undefined, 'invalid pattern: expected a string such as \'orders.created\', got undefined'],
    [null, 'invalid pattern: expected a string such as \'orders.created\', got null'],
    [['a'], 'invalid pattern: expected a string such as \'orders.created\', got an array'],
  ];
  it.each(invalid)('rejects %j', (pattern, message) => {
    const error = thrown(() => validatePattern(pattern));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(message);
  });

  it('rejects a pattern longer than 1024 characters, and shortens it in the message', () => {
    const error = thrown(() => validatePattern('x'.repeat(MAX_TOPIC_LENGTH + 1)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(`invalid pattern '${'x'.repeat(64)}…': it is 1025 characters long, at most 1024 are allowed; use shorter tokens`);
  });
});

describe('validateTopic', () => {
  it.each(['orders', 'orders.eu.created', 'a-b_c.D9', 'x'.repeat(MAX_TOPIC_LENGTH)])('accepts %p', (topic) => {
    expect(() => validateTopic(topic)).not.toThrow();
  });

  const invalid: Array<[unknown, string]> = [
    ['orders.*', "invalid topic 'orders.*': topics you publish to cannot contain wildcards ('*' is token 2 of 2); use a pattern with subscribe"],
    ['orders.>', "invalid topic 'orders.>': topics you publish to cannot contain wildcards ('>' is token 2 of 2); use a pattern with subscribe"],
    ['>', "invalid topic '>': topics you publish to cannot contain wildcards ('>' is token 1 of 1); use a pattern with subscribe"],
    ['orders.a*', "invalid topic 'orders.a*': '*' is reserved for subscription patterns and cannot appear in a topic (token 'a*')"],
    ['b>.c', "invalid topic 'b>.c': '>' is reserved for subscription patterns and cannot appear in a topic (token 'b>')"],
    ['', "invalid topic '': it is empty; give at least one token, e.g. 'orders.created'"],
    ['a..b', "invalid topic 'a..b': token 2 of 3 is empty; remove the leading, trailing or doubled '.'"],
    ['a.b.', "invalid topic 'a.b.': token 3 of 3 is empty; remove the leading, trailing or doubled '.'"],
    ['a\nb', "invalid topic 'a\\nb': token 'a\\nb' contains whitespace or a control character; tokens are separated by '.' only"],
    [Symbol('x'), "invalid topic: expected a string such as 'orders.created', got symbol"],
  ];
  it.each(invalid)('rejects %j', (topic, message) => {
    const error = thrown(() => validateTopic(topic));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(message);
  });

  it('rejects a topic longer than 1024 characters', () => {
    expect(() => validateTopic('a.'.repeat(600) + 'b')).toThrow(/at most 1024 are allowed/);
  });

  it('narrows unknown to string', () => {
    const input: unknown = 'orders.eu';
    validateTopic(input);
    expect(input.length).toBe(9); // compiles only because of the assertion signature
  });
});

// Received events are checked through a one-pass fast path; it may send a
// string on to the full check, but must never pass one the full check refuses.
describe('the fast topic check agrees with the full one', () => {
  it('on 20,000 strings drawn from the characters that matter', () => {
    const alphabet = ['a', 'Z', '0', '-', '_', '.', '.', '*', '>', ' ', '\t', '\u0000', '\u007f', '\u0085', 'é', '\u00a0', '\ufeff', '😀'];
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0; // a fixed LCG: the same strings every run
      return seed % n;
    };
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = next(12);
      let value = '';
      for (let j = 0; j < length; j++) value += alphabet[next(alphabet.length)];
      if (isPlainTopic(value)) {
        plain++;
        expect([value, checkSubjectFully('topic', value)]).toEqual([value, undefined]);
        expect([value, checkSubjectFully('pattern', value)]).toEqual([value, undefined]);
      }
    }
    // The draw did exercise the fast path.
    expect(plain).toBeGreaterThan(100);
  });

  it('takes the plain topics and leaves the rest to the full check', () => {
    for (const topic of ['a', 'orders.eu.created', 'x'.repeat(MAX_TOPIC_LENGTH), 'a-b_c.1~2']) expect(isPlainTopic(topic)).toBe(true);
    for (const topic of ['', '.', 'a.', '.a', 'a..b', 'a b', 'a.*', 'a.>', 'é', 'a\u007f', 'x'.repeat(MAX_TOPIC_LENGTH + 1)]) expect(isPlainTopic(topic)).toBe(false);
  });
});
