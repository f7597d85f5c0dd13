import { describe, expect, it } from '@jest/globals';
import { findUnencodable } from '../src/codec/encodable.js';
import { jsonCodec, msgpackCodec, msgpackCompatCodec } from '../src/index.js';

// findUnencodable: what the built-in codecs would turn into undefined or {}
// without a word is found, with its path; everything they carry passes.

class Private {
  #secret = 1;
  get secret(): number {
    return this.#secret;
  }
}
class Public {
  kept = 1;
  #lost = 2;
  lost(): number {
    return this.#lost;
  }
}
class Serialised {
  #value = 5;
  toJSON(): unknown {
    return { value: this.#value };
  }
}

function where(value: unknown): string | undefined {
  const found = findUnencodable(value, 'payload');
  return found === undefined ? undefined : `${found.path} ${found.reason}`;
}

describe('findUnencodable: refused, with the path', () => {
  it.each<[string, unknown, RegExp]>([
    ['a function in an array in an object', { items: [1, 2, 3, { cb: () => 1 }] }, /^payload\.items\[3\]\.cb is a function/],
    ['a function as the payload', () => 1, /^payload is a function/],
    ['a Symbol as a value', { kind: Symbol('x') }, /^payload\.kind is a Symbol/],
    ['a Promise', { result: Promise.resolve(1) }, /^payload\.result is a Promise; await it/],
    ['a WeakMap', { cache: new WeakMap() }, /^payload\.cache is a WeakMap/],
    ['a WeakSet', [new WeakSet()], /^payload\[0\] is a WeakSet/],
    ['a WeakRef', { ref: new WeakRef({}) }, /^payload\.ref is a WeakRef/],
    ['a class instance whose state is private', { user: new Private() }, /^payload\.user is a Private instance with no public fields .* would arrive as \{\}/],
    ['a key that is not an identifier', { 'a b': { 'c-d': () => 1 } }, /^payload\["a b"\]\["c-d"\] is a function/],
    ['inside a Map value', new Map([['k', { f: () => 1 }]]), /^payload\.get\("k"\)\.f is a function/],
    ['inside a Set', new Set([1, () => 1]), /^payload<Set item 1> is a function/],
    ['inside a class instance with public fields', { p: Object.assign(new Public(), { cb: () => 1 }) }, /^payload\.p\.cb is a function/],
  ])('%s', (_what, value, message) => {
    expect(where(value)).toMatch(message);
  });

  it('refuses a cycle, and nesting deeper than a receiver decodes, instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    // The path, when the stack lasts to the depth bound; without it when it does not (jest's frames are larger).
    expect(where(cyclic)).toMatch(/^payload((\.self)+…(\.self)+)? is nested too deeply \(a cycle\?\): a receiver decodes at most 2048 levels$/);
    let deep: unknown = 1;
    for (let i = 0; i < 2049; i++) deep = [deep];
    expect(where(deep)).toMatch(/^payload((\[0\])+…(\[0\])+)? is nested too deeply \(a cycle\?\)/);
    let fine: unknown = 1;
    for (let i = 0; i < 100; i++) fine = [fine];
    expect(where(fine)).toBeUndefined();
  });
});

describe('findUnencodable: what the codecs carry passes, as before', () => {
  const carried: [string, unknown][] = [
    ['primitives', [1, 'a', true, null, undefined, 10n, -0, NaN]],
    ['null and undefined inside objects', { a: null, b: undefined, c: [undefined, null] }],
    ['plain objects and arrays, nested', { a: { b: { c: [1, [2, [3]]] } } }],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 })],
    ['Map and Set', { m: new Map<unknown, unknown>([[1, { a: 1 }], ['k', 'v']]), s: new Set([1, 'a', { b: 2 }]) }],
    ['Date, RegExp, Error', { d: new Date(0), r: /x/g, e: new Error('boom') }],
    ['binary data', { u8: new Uint8Array(4), buf: Buffer.from('ab'), f64: new Float64Array(2), ab: new ArrayBuffer(3), dv: new DataView(new ArrayBuffer(2)) }],
    ['a class instance with public fields (it goes as them)', new Public()],
    ['a class instance with toJSON()', { s: new Serialised() }],
    ['a URL (toJSON)', { url: new URL('https://example.org/') }],
    ['an empty plain object and array', { o: {}, a: [] }],
  ];
  it.each(carried)('%s', (_what, value) => {
    expect(where(value)).toBeUndefined();
    // And each really does encode with every built-in codec.
    for (const codec of [msgpackCodec, msgpackCompatCodec, jsonCodec]) expect(() => codec.decode(codec.encode(value))).not.toThrow();
  });

  it('does not look inside binary data: a large Uint8Array costs one check', () => {
    expect(where({ data: new Uint8Array(16 * 1024 * 1024) })).toBeUndefined();
  });
});

describe('findUnencodable: objects that only look like something else', () => {
  it('passes an empty plain object made in another realm (vm, a jest sandbox, a worker message): it arrives as {}', async () => {
    const vm = await import('node:vm');
    const foreign = vm.runInNewContext('({ empty: {}, nested: { inner: {} } })') as { empty: object; nested: object };
    expect(where(foreign.empty)).toBeUndefined();
    expect(where(foreign.nested)).toBeUndefined();
    expect(msgpackCodec.decode(msgpackCodec.encode(foreign.empty))).toEqual({});
  });

  it("refuses a plain object whose own 'constructor' key is Array: msgpackr would send it as [] and lose its fields", () => {
    const value = { constructor: Array, name: 'x', cb: () => 1 };
    expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual([]);
    expect(where({ order: value })).toMatch(/^payload\.order /);
  });
});
