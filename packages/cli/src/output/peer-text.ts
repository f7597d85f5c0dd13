/**
 * Text a peer chose (names, codes, schema strings) on its way to a terminal.
 * A hostile or broken peer must not be able to move the cursor, recolour the
 * screen, reorder what follows (bidi overrides) or print a megabyte per
 * mention: each such character is shown as a `\uXXXX` escape, and each
 * string is cut, saying how long it was.
 */

// C0 and C1 controls, DEL, the line/paragraph separators and the bidi
// marks, overrides and isolates: the characters that change how the rest
// of a line is shown, rather than showing themselves.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same set without the C0 range and DEL, which JSON.stringify escapes already.
const UNSAFE_IN_JSON = /[\u0080-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every unsafe character escaped, cut to `max` characters (before escaping), saying how long it was. */
export function safeText(text: string, max = 200): string {
  const cut = text.length <= max ? text : text.slice(0, max);
  // A lone surrogate left by the cut (or sent by the peer) becomes U+FFFD when printed: harmless.
  const shown = cut.replace(UNSAFE, escape);
  return text.length <= max ? shown : `${shown}… (${text.length} chars)`;
}

/**
 * JSON text whose strings show no unsafe character raw: what JSON.stringify
 * leaves as it is (C1 controls, bidi marks) becomes a `\uXXXX` escape, which
 * is the same JSON value. (Outside strings, JSON text holds none of them.)
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, escape);
}

/** `text` JSON-quoted with every unsafe character escaped, cut to `max` characters, saying how long it was. */
export function quoteText(text: string, max = 80): string {
  return text.length <= max ? safeJson(text) : `${safeJson(text.slice(0, max))}… (${text.length} chars)`;
}
