import { AssertionError } from 'node:assert';
import { inspect, isDeepStrictEqual } from 'node:util';

/*
 * The suite's own assertions, so that it needs no runner's `expect`. Each
 * throws node's AssertionError, which jest, vitest and node:test all report
 * with its message and, from `actual` and `expected`, a diff. The message
 * names what was checked, so a failure reads without the suite's source.
 */

/** Fails with "`what`: expected E, got A" unless `actual` deep-strictly equals `expected`. */
export function checkEqual(actual: unknown, expected: unknown, what: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  throw new AssertionError({ message: `${what}: expected ${show(expected)}, got ${show(actual)}`, actual, expected, operator: 'deepStrictEqual' });
}

/**
 * Fails with "`what`, but got A" unless `holds`, as `assert.ok` would;
 * `judged` is the value the condition was about, shown in the message.
 */
export function check(holds: boolean, what: string, judged: unknown): void {
  if (holds) return;
  throw new AssertionError({ message: `${what}, but got ${show(judged)}`, actual: holds, expected: true, operator: '==' });
}

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 20 });
}
