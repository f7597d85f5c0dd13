/** Slots a table starts with by default, and returns to when it empties after a burst. */
const INITIAL_SLOTS = 64;
/** Beyond this many slots, collisions stay in the overflow table: 4096 slots are 48 KiB. */
const MAX_SLOTS = 4096;

/**
 * A table of in-flight calls by numeric id (1 to 0xffffffff), for the bus's
 * hottest bookkeeping: one insert, one lookup and one delete per request,
 * forever.
 *
 * The bus hands ids out in sequence, so the calls in flight at any moment
 * hold a window of nearly consecutive ids. Slot `id mod slots` of a ring
 * therefore holds almost every entry, and an insert, lookup or delete is
 * an index and a compare. An id whose slot is still held by an older call
 * (one that outlived a full turn of the ring) goes to an overflow
 * dictionary; when that fills up, the ring doubles, up to
 * {@link MAX_SLOTS}.
 *
 * Why not a `Map`: V8 keeps a Map's entries in a hash table that it replaces
 * as entries come and go, and each replaced table keeps a link to its
 * successor (for live iterators). Under steady churn a replaced table that
 * had been promoted to the old generation keeps the next, young one alive
 * through the scavenge, which then gets promoted and does the same: measured
 * in the named-pipe bench, ~1.3 MB promoted per scavenge, GC at a third of
 * the client's CPU and 1.5x its cost per request. The ring's arrays are
 * never replaced while in use, and the overflow is a plain object in
 * dictionary mode, which has no such links either. A dictionary for every
 * entry (the previous version) cost 11 % of the bench client's CPU in its
 * inserts and deletes.
 */
export class IdTable<T> {
  readonly #initialSlots: number;
  #keys: Uint32Array;
  /** `undefined` marks a free slot (values are never undefined). */
  #values: (T | undefined)[];
  #mask: number;
  #overflow: Record<number, T> = Object.create(null) as Record<number, T>;
  #overflowSize = 0;
  #size = 0;

  /** @param initialSlots - a power of two: the ring's size to start with and to return to when empty. */
  constructor(initialSlots = INITIAL_SLOTS) {
    this.#initialSlots = initialSlots;
    this.#keys = new Uint32Array(initialSlots);
    this.#values = new Array<T | undefined>(initialSlots).fill(undefined);
    this.#mask = initialSlots - 1;
  }

  /** Entries in the table. */
  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    const slot = id & this.#mask;
    const value = this.#values[slot];
    if (value !== undefined && this.#keys[slot] === id) return value;
    return this.#overflowSize === 0 ? undefined : this.#overflow[id];
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds or replaces the entry of `id`; `value` must not be undefined. */
  set(id: number, value: T): void {
    const slot = id & this.#mask;
    if (this.#values[slot] === undefined) {
      if (this.#overflowSize !== 0 && this.#overflow[id] !== undefined) {
        // Parked there while this slot was taken: it stays where get() finds it.
        this.#overflow[id] = value;
        return;
      }
      this.#keys[slot] = id;
      this.#values[slot] = value;
      this.#size++;
      return;
    }
    if (this.#keys[slot] === id) {
      this.#values[slot] = value;
      return;
    }
    if (this.#overflow[id] === undefined) {
      this.#overflowSize++;
      this.#size++;
    }
    this.#overflow[id] = value;
    if (this.#overflowSize > this.#values.length >> 2 && this.#values.length < MAX_SLOTS) this.#resize(this.#values.length * 2);
  }

  /** Removes the entry of `id`; false when there was none. */
  delete(id: number): boolean {
    const slot = id & this.#mask;
    if (this.#values[slot] !== undefined && this.#keys[slot] === id) {
      this.#values[slot] = undefined;
    } else {
      if (this.#overflowSize === 0 || this.#overflow[id] === undefined) return false;
      delete this.#overflow[id];
      if (--this.#overflowSize === 0) {
        // A fresh object sheds whatever capacity the collisions left behind.
        this.#overflow = Object.create(null) as Record<number, T>;
      }
    }
    if (--this.#size === 0 && this.#values.length > this.#initialSlots) this.#resize(this.#initialSlots);
    return true;
  }

  /** A snapshot of the entries in ascending id order (safe to modify the table while iterating it). */
  values(): T[] {
    return this.#entries()
      .sort((a, b) => a[0] - b[0])
      .map((entry) => entry[1]);
  }

  /** Every entry as `[id, value]`, in no particular order. */
  #entries(): [number, T][] {
    const entries: [number, T][] = [];
    for (let slot = 0; slot < this.#values.length; slot++) {
      const value = this.#values[slot];
      if (value !== undefined) entries.push([this.#keys[slot]!, value]);
    }
    if (this.#overflowSize !== 0) {
      for (const key of Object.keys(this.#overflow)) entries.push([Number(key), this.#overflow[Number(key)]!]);
    }
    return entries;
  }

  /** Moves every entry into a ring of `slots` slots (a power of two). */
  #resize(slots: number): void {
    const entries = this.#entries();
    this.#keys = new Uint32Array(slots);
    this.#values = new Array<T | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
    this.#overflow = Object.create(null) as Record<number, T>;
    this.#overflowSize = 0;
    this.#size = 0;
    for (const [id, value] of entries) this.set(id, value);
  }
}
