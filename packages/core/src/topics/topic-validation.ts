import { BusError, invalidArgument } from '../errors/bus-error.js';

/** Longest topic or pattern accepted, in UTF-16 code units (string length). */
export const MAX_TOPIC_LENGTH = 1024;

// JS `\s` covers ASCII and Unicode spaces (and U+FEFF); `\p{Cc}` the C0/C1
// controls and DEL. Both would make a topic unreadable in logs and ambiguous
// on the command line.
const SPACE_OR_CONTROL = /[\s\p{Cc}]/u;

/**
 * Throws unless `topic` is a topic one may publish to: dot-separated
 * non-empty tokens (`orders.eu.created`), no whitespace or control
 * characters, no wildcards, at most {@link MAX_TOPIC_LENGTH} characters.
 *
 * @throws BusError `INVALID_ARGUMENT` with a message that says what to change.
 * @example
 * ```ts
 * validateTopic('orders.eu.created'); // ok
 * validateTopic('orders.*');          // throws: topics you publish to cannot contain wildcards…
 * ```
 */
export function validateTopic(topic: unknown): asserts topic is string {
  const error = checkSubject('topic', topic);
  if (error !== undefined) throw error;
}

/**
 * Throws unless `pattern` is a pattern one may subscribe with: a topic whose
 * tokens may also be `*` (exactly one token) or, as the last token only, `>`
 * (one or more tokens), as in NATS.
 *
 * @throws BusError `INVALID_ARGUMENT` with a message that says what to change.
 * @example
 * ```ts
 * validatePattern('orders.*.created'); // ok
 * validatePattern('orders.>');         // ok
 * validatePattern('a.>.b');            // throws: invalid pattern 'a.>.b': '>' may only be the last token
 * ```
 */
export function validatePattern(pattern: unknown): asserts pattern is string {
  const error = checkSubject('pattern', pattern);
  if (error !== undefined) throw error;
}

/**
 * True when `value` is plainly valid as a topic and as a pattern: 1 to
 * {@link MAX_TOPIC_LENGTH} printable ASCII characters without wildcards, in
 * non-empty dot-separated tokens. One pass, no allocation: every event
 * received is checked, and the full check (a split and a message per token)
 * was a tenth of a subscriber's CPU. Anything else (non-ASCII, wildcards,
 * errors) goes through the full check, which has the words for it.
 */
export function isPlainTopic(value: string): boolean {
  const length = value.length;
  if (length === 0 || length > MAX_TOPIC_LENGTH) return false;
  let tokenStart = 0;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2e) {
      if (i === tokenStart) return false;
      tokenStart = i + 1;
    } else if (c <= 0x20 || c >= 0x7f || c === 0x2a || c === 0x3e) {
      // space and controls, DEL and beyond ASCII, '*', '>'
      return false;
    }
  }
  return tokenStart < length;
}

/** The error {@link validateTopic} would throw, or undefined: for the bus's check of every received event. */
export function checkTopic(value: unknown): BusError | undefined {
  return checkSubject('topic', value);
}

/** Returns the error to throw, or undefined when `value` is a valid `kind`. */
function checkSubject(kind: 'topic' | 'pattern', value: unknown): BusError | undefined {
  if (typeof value === 'string' && isPlainTopic(value)) return undefined;
  return checkSubjectFully(kind, value);
}

/** The full check, with a message for every way to get it wrong. Exported for tests. */
export function checkSubjectFully(kind: 'topic' | 'pattern', value: unknown): BusError | undefined {
  if (typeof value !== 'string') {
    return invalidArgument(`invalid ${kind}: expected a string such as 'orders.created', got ${describeType(value)}`, { [kind]: value });
  }
  const fail = (reason: string): BusError => invalidArgument(`invalid ${kind} '${display(value)}': ${reason}`, { [kind]: value });
  if (value.length === 0) return fail(`it is empty; give at least one token, e.g. 'orders.created'`);
  if (value.length > MAX_TOPIC_LENGTH) {
    return fail(`it is ${value.length} characters long, at most ${MAX_TOPIC_LENGTH} are allowed; use shorter tokens`);
  }
  const tokens = value.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const position = `token ${i + 1} of ${tokens.length}`;
    if (token.length === 0) {
      return fail(`${position} is empty; remove the leading, trailing or doubled '.'`);
    }
    if (SPACE_OR_CONTROL.test(token)) {
      return fail(`token '${display(token)}' contains whitespace or a control character; tokens are separated by '.' only`);
    }
    if (token === '*' || token === '>') {
      if (kind === 'topic') {
        return fail(`topics you publish to cannot contain wildcards ('${token}' is ${position}); use a pattern with subscribe`);
      }
      if (token === '>' && i !== tokens.length - 1) return fail(`'>' may only be the last token`);
      continue;
    }
    const wildcard = token.includes('*') ? '*' : token.includes('>') ? '>' : undefined;
    if (wildcard !== undefined) {
      return kind === 'topic'
        ? fail(`'${wildcard}' is reserved for subscription patterns and cannot appear in a topic (token '${display(token)}')`)
        : fail(`'${wildcard}' is a wildcard only as a whole token; '${display(token)}' mixes it with other characters (did you mean '${wildcardHint(tokens, i, wildcard)}'?)`);
    }
  }
  return undefined;
}

function wildcardHint(tokens: readonly string[], at: number, wildcard: string): string {
  const hinted = tokens.slice(0, at + 1);
  hinted[at] = wildcard;
  if (wildcard === '*') hinted.push(...tokens.slice(at + 1));
  return hinted.join('.');
}

/** Escapes control characters and shortens, so a message stays one readable line. */
function display(value: string): string {
  const short = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(short).slice(1, -1);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
