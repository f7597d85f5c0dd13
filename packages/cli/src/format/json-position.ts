/**
 * Where a text stops being JSON. V8's `JSON.parse` names the position for
 * some mistakes and not others (`Unexpected token '}', "{"a":}" is not valid
 * JSON`), so `--json` finds it itself: a strict RFC 8259 scan, run only after
 * `JSON.parse` has already refused the text.
 */

/** What is wrong and where (0-based offset into the text). */
export interface JsonProblem {
  readonly offset: number;
  readonly expected: string;
}

const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** The first place `text` is not JSON, or `undefined` if it all is. */
export function findJsonProblem(text: string): JsonProblem | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (expected: string): JsonProblem => ({ offset: i, expected });
  // Recursion depth is nesting depth; the caller catches the RangeError of absurd nesting.
  const value = (): JsonProblem | undefined => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return undefined;
      }
    }
    return fail('a value (object, array, string, number, true, false or null)');
  };
  const object = (): JsonProblem | undefined => {
    i++;
    ws();
    if (text[i] === '}') return void i++;
    for (;;) {
      ws();
      if (text[i] !== '"') return fail('a property name in double quotes');
      const bad = string() ?? (ws(), text[i] === ':' ? (i++, value()) : fail("':' after the property name"));
      if (bad) return bad;
      ws();
      if (text[i] === '}') return void i++;
      if (text[i] !== ',') return fail("',' or '}' after a property value");
      i++;
    }
  };
  const array = (): JsonProblem | undefined => {
    i++;
    ws();
    if (text[i] === ']') return void i++;
    for (;;) {
      const bad = value();
      if (bad) return bad;
      ws();
      if (text[i] === ']') return void i++;
      if (text[i] !== ',') return fail("',' or ']' after an array element");
      i++;
    }
  };
  const string = (): JsonProblem | undefined => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) return fail('no raw control character inside a string (escape it)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail('four hex digits after \\u');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else i++;
    }
    return fail('a closing \'"\'');
  };
  const number = (): JsonProblem | undefined => {
    // Sticky, so a long payload of numbers is not copied once per number.
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail('a number');
    i += m[0].length;
    return undefined;
  };
  const bad = value();
  if (bad) return bad;
  ws();
  return i < text.length ? fail('the end of the JSON text') : undefined;
}

/** `offset` as "line L, column C" (1-based), counting UTF-16 units as editors do. */
export function describeOffset(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column} (offset ${offset})`;
}
