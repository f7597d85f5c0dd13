import type { DecodeLimits } from './decode-limits.js';
import { tooDeep, tooManyElements } from './decode-limits.js';

/**
 * Bounds the elements and depth of the UTF-8 JSON text in `bytes[start..end)`
 * before JSON.parse builds it, reading bytes only (a multi-byte UTF-8
 * sequence never contains an ASCII byte, so the structural characters are
 * found without decoding). Outside strings, every value but the first
 * follows a `,` or `:` or an opening bracket, and every key a `,` or `{`:
 * 1 + the count of `,` `:` `[` `{` is at least the number of values and
 * keys. Returns why the text must be refused, or undefined (JSON.parse then
 * checks the rest of the grammar).
 */
export function scanJson(bytes: Uint8Array, start: number, end: number, limits: DecodeLimits): string | undefined {
  const { maxElements, maxDepth } = limits;
  let count = 1;
  let depth = 0;
  for (let p = start; p < end; p++) {
    const c = bytes[p]!;
    if (c === 0x22) {
      // A string: skip to its closing quote; a backslash escapes the byte after it.
      for (p++; ; p++) {
        if (p >= end) return 'unterminated string';
        const d = bytes[p]!;
        if (d === 0x22) break;
        if (d === 0x5c) p++;
      }
      continue;
    }
    if (c === 0x2c || c === 0x3a) {
      if (++count > maxElements) return tooManyElements(limits);
    } else if (c === 0x5b || c === 0x7b) {
      if (++count > maxElements) return tooManyElements(limits);
      if (++depth > maxDepth) return tooDeep(limits);
    } else if (c === 0x5d || c === 0x7d) {
      if (--depth < 0) return 'unbalanced brackets';
    }
  }
  return undefined;
}
