import { MAX_DECODED_DEPTH } from './decode-limits.js';

/**
 * Finds the first value in `value` that the built-in codecs would not carry
 * faithfully, and says where it is: `payload.items[3].cb is a function`.
 * Returns `undefined` when everything would arrive as it left (for the
 * codec's documented mapping: a Map through JSON is still `{}`, as before).
 *
 * What it refuses, because msgpackr and JSON.stringify turn it into
 * `undefined`, `{}` or an exception without saying so:
 * - functions and Symbols as values;
 * - Promises, WeakMap, WeakSet and WeakRef, which have no readable state;
 * - an instance of a class with no own enumerable field and no `toJSON()`
 *   (its state is in `#private` fields, getters or internal slots): it would
 *   arrive as `{}`;
 * - nesting deeper than a receiver decodes (2048 levels), or a cycle.
 *
 * It runs on every message a bus sends, so it is a plain walk that
 * allocates nothing while all is well: primitives return at the `typeof`,
 * and binary data (Uint8Array, Buffer, any typed array, DataView) at one
 * check, without looking at the bytes. The path is built only for a
 * refusal, as the recursion unwinds.
 *
 * @param value - the payload (or any value) to check.
 * @param root - what to call `value` in the message, such as `payload`.
 */
export function findUnencodable(value: unknown, root: string): Unencodable | undefined {
  // Primitives, the common payload, answer here without a call.
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return undefined;
  if (value === null) return undefined;
  let problem: Problem | undefined;
  try {
    problem = check(value, 0);
  } catch (error) {
    // The stack ran out before the depth bound (a small stack, large frames):
    // the same answer, without the path.
    if (!(error instanceof RangeError)) throw error;
    return { path: root, reason: TOO_DEEP };
  }
  if (problem === undefined) return undefined;
  const path = problem.path.reverse();
  // A cycle's path is thousands of segments: its two ends say enough.
  const shown = path.length <= MAX_PATH_SEGMENTS ? path : [...path.slice(0, MAX_PATH_SEGMENTS / 2), '…', ...path.slice(-MAX_PATH_SEGMENTS / 4)];
  return { path: `${root}${shown.join('')}`, reason: problem.what };
}

/** Where {@link findUnencodable} found a value it refuses, and why. */
export interface Unencodable {
  /** `payload.items[3].cb`. */
  readonly path: string;
  /** `is a function; …`, to follow the path in a message. */
  readonly reason: string;
}

/** A refusal: what is wrong, and the path to it from the innermost segment out. */
interface Problem {
  readonly what: string;
  readonly path: string[];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_PATH_SEGMENTS = 16;
const TOO_DEEP = `is nested too deeply (a cycle?): a receiver decodes at most ${MAX_DECODED_DEPTH} levels`;

function keySegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function mapKeySegment(key: unknown): string {
  return typeof key === 'string' ? `.get(${JSON.stringify(key)})` : typeof key === 'number' || typeof key === 'boolean' ? `.get(${String(key)})` : '.get(…)';
}

function within(problem: Problem | undefined, segment: string): Problem | undefined {
  if (problem !== undefined) problem.path.push(segment);
  return problem;
}

function check(value: unknown, depth: number): Problem | undefined {
  switch (typeof value) {
    case 'object':
      return value === null ? undefined : checkObject(value, depth);
    case 'function':
      return { what: 'is a function; functions cannot be sent (send data, and name the operation in the method or topic)', path: [] };
    case 'symbol':
      return { what: 'is a Symbol; Symbols cannot be sent (use a string)', path: [] };
    default:
      return undefined;
  }
}

function checkObject(value: object, depth: number): Problem | undefined {
  if (depth >= MAX_DECODED_DEPTH) {
    return { what: TOO_DEEP, path: [] };
  }
  const next = depth + 1;
  // Read once: the constructor decides the encoding, as it does in msgpackr.
  const constructor = (value as { constructor?: unknown }).constructor;
  if (constructor === Object || constructor === undefined) return checkFields(value as Record<string, unknown>, next);
  if (constructor === Array) {
    if (Array.isArray(value)) return checkItems(value, next);
    // msgpackr goes by `constructor`, so it would send this object as [].
    return { what: "has an own 'constructor' key set to Array, so msgpackr would send it as [] and lose its fields; rename that key", path: [] };
  }
  if (ArrayBuffer.isView(value)) return undefined;
  if (value instanceof Map) {
    for (const [key, item] of value) {
      const problem = within(check(key, next), '.keys()[…]') ?? within(check(item, next), mapKeySegment(key));
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const item of value) {
      const problem = within(check(item, next), `<Set item ${i++}>`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value instanceof Date || value instanceof RegExp || value instanceof Error || value instanceof ArrayBuffer) return undefined;
  if (value instanceof Promise) return { what: 'is a Promise; await it and send its value', path: [] };
  if (value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) {
    return { what: `is a ${value.constructor.name}, whose contents cannot be read, so cannot be sent (use a Map or Set)`, path: [] };
  }
  // Both codecs send what toJSON() returns: the class chose its own form.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (Array.isArray(value)) return checkItems(value, next);
  // An instance of some class goes as its own enumerable fields, like a
  // plain object; with none, its state is private (#x), in getters or in
  // internal slots, and it would arrive as {}.
  for (const _ in value) return checkFields(value as Record<string, unknown>, next);
  // An empty plain object of another realm (vm, a jest sandbox): its Object
  // is not ours, and it arrives as the {} it is. Checked only here, off the
  // common path.
  if (isForeignPlainObject(value, constructor)) return undefined;
  const name = typeof constructor === 'function' && constructor.name !== '' ? constructor.name : 'class';
  return { what: `is ${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name} instance with no public fields (its state is private or in getters) and would arrive as {}; send a plain object, or give the class a toJSON()`, path: [] };
}

function checkFields(value: Record<string, unknown>, depth: number): Problem | undefined {
  // for...in, as the codecs' own walk: V8 serves it from the object's enum cache.
  for (const key in value) {
    const item = value[key];
    // Primitives (most fields) skip the call.
    if (item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')) {
      // Straight to checkObject for objects: one stack frame less per level.
      const problem = typeof item === 'object' ? checkObject(item, depth) : check(item, depth);
      if (problem !== undefined) return within(problem, keySegment(key));
    }
  }
  return undefined;
}

function checkItems(value: readonly unknown[], depth: number): Problem | undefined {
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (item !== null && (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')) {
      const problem = typeof item === 'object' ? checkObject(item, depth) : check(item, depth);
      if (problem !== undefined) return within(problem, `[${i}]`);
    }
  }
  return undefined;
}

/** A plain object of another realm: its prototype is an Object.prototype (its own realm's). */
function isForeignPlainObject(value: object, constructor: unknown): boolean {
  if (typeof constructor !== 'function' || constructor.name !== 'Object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== null && Object.getPrototypeOf(proto) === null && (proto as { constructor?: unknown }).constructor === constructor;
}
