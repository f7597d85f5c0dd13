/**
 * Short, safe description of a value for error messages, written to follow
 * "got": strings are quoted (`"100"`, so a string that looks like a number
 * is told apart from `number 100`), `undefined` and `null` are named once,
 * and a function is never printed as its source.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return value.name === '' ? 'a function' : `a function (${value.name})`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} chars` : JSON.stringify(value);
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
