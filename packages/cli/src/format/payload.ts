import { UsageError } from '../usage-error.js';
import { describeOffset, findJsonProblem } from './json-position.js';

/**
 * How the CLI reads payloads from the command line and prints what comes
 * back: JSON where it parses (so `42` and `{"a":1}` are values, not text),
 * text otherwise; raw bytes as text with the NUL and control bytes visible.
 */

/**
 * A command-line payload: JSON if it parses, else the string itself. With
 * `json` set (`--json`), text that is not JSON is a usage error naming where
 * it stops being JSON, so a typo is never sent as a string.
 */
export function parsePayload(text: string, json = false): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (!json) return text;
    throw new UsageError(`--json: the payload is not valid JSON: ${whereNotJson(text, error)}; fix it, or drop --json to send it as text`);
  }
}

function whereNotJson(text: string, parseError: unknown): string {
  try {
    const problem = findJsonProblem(text);
    if (problem !== undefined) return `expected ${problem.expected} at ${describeOffset(text, problem.offset)}`;
  } catch {
    // Nesting too deep for the scan's recursion: V8's own words are all there is.
  }
  return (parseError as Error).message;
}

/** A value as one line of JSON, with the types JSON lacks spelled out. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    if (v instanceof Uint8Array) return `<${v.byteLength} bytes: ${showBytes(v)}>`;
    return v;
  });
}

/**
 * Bytes as text: printable ASCII as is, NUL as `\0`, newline/CR/tab as their
 * escapes, anything else as `\xNN` — so `OnNamedPipe Server\0` shows exactly
 * what a native peer wrote, trailing NUL included.
 */
export function showBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0) out += '\\0';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Text (or bytes) plus a trailing NUL, as the seeds' C programs write their strings. */
export function withNul(text: string | Uint8Array): Uint8Array {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const out = new Uint8Array(body.byteLength + 1);
  out.set(body, 0);
  return out;
}
