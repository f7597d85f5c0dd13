const STAR = 0x2a;
const GT = 0x3e;

/**
 * True when `topic` matches `pattern` under the NATS rules: tokens are
 * separated by `.`, `*` matches exactly one token, and `>` as the last
 * token matches one or more remaining tokens.
 *
 * Both arguments must already be valid (see `validatePattern` /
 * `validateTopic`): this runs once per subscription per message, so it walks
 * both strings in place with `indexOf` and allocates nothing.
 *
 * @example
 * ```ts
 * matchTopic('orders.*', 'orders.new');   // true
 * matchTopic('orders.*', 'orders.a.b');   // false
 * matchTopic('orders.>', 'orders.a.b');   // true
 * matchTopic('orders.>', 'orders');       // false
 * ```
 */
export function matchTopic(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  const patternLength = pattern.length;
  const topicLength = topic.length;
  // Invariant: p and t are the starts of a pattern token and a topic token.
  let p = 0;
  let t = 0;
  for (;;) {
    let pEnd = pattern.indexOf('.', p);
    if (pEnd < 0) pEnd = patternLength;
    let tEnd = topic.indexOf('.', t);
    if (tEnd < 0) tEnd = topicLength;

    const tokenLength = pEnd - p;
    const first = pattern.charCodeAt(p);
    if (tokenLength === 1 && first === GT) return true; // the topic has at least this token left
    if (!(tokenLength === 1 && first === STAR) && !sameToken(pattern, p, topic, t, tokenLength, tEnd - t)) return false;

    const patternDone = pEnd === patternLength;
    const topicDone = tEnd === topicLength;
    if (patternDone || topicDone) return patternDone && topicDone;
    p = pEnd + 1;
    t = tEnd + 1;
  }
}

function sameToken(a: string, aStart: number, b: string, bStart: number, aLength: number, bLength: number): boolean {
  if (aLength !== bLength) return false;
  for (let i = 0; i < aLength; i++) {
    if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  }
  return true;
}
