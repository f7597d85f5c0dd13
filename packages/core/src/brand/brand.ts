/**
 * Identity that holds across copies of this package. Each package ships an ESM
 * and a CommonJS build, so one process may load core twice (a bus through
 * `import`, a transport through `require`); each copy has its own classes and
 * its own promises, and `instanceof` or `===` alone would tell them apart.
 * Keys come from `Symbol.for`, the registry every copy shares.
 */

/** Marks `prototype` (a base class's) as carrying `brand`, for {@link hasBrand}. */
export function setBrand(prototype: object, brand: symbol): void {
  Object.defineProperty(prototype, brand, { value: true });
}

/** True when `value` inherits `brand` (set by {@link setBrand} in any copy). */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * `instanceof` for a branded base class: the base recognises instances of any
 * copy by the brand; a subclass (which inherits this from the base) keeps the
 * plain prototype test, so `x instanceof MyTransport` means what it always did.
 */
export function brandedInstanceOf(ctor: unknown, base: unknown, brand: symbol, value: unknown): boolean {
  return ctor === base ? hasBrand(value, brand) : Function.prototype[Symbol.hasInstance].call(ctor, value);
}

/**
 * The one value every copy shares under `key` on `globalThis`: the first copy
 * to ask makes it, later copies get that same value (not writable, not
 * enumerable, so nothing replaces it by accident).
 */
export function sharedGlobal<T>(key: symbol, make: () => T): T {
  const holder = globalThis as unknown as Record<symbol, T | undefined>;
  const existing = holder[key];
  if (existing !== undefined) return existing;
  const value = make();
  Object.defineProperty(globalThis, key, { value });
  return value;
}
