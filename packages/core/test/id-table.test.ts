import { describe, expect, it } from '@jest/globals';
import { IdTable } from '../src/bus/id-table.js';

describe('IdTable', () => {
  it('gets, replaces, deletes and counts entries like a Map', () => {
    const table = new IdTable<string>();
    table.set(1, 'a');
    table.set(2, 'b');
    table.set(2, 'B');
    expect(table.size).toBe(2);
    expect(table.get(2)).toBe('B');
    expect(table.has(3)).toBe(false);
    expect(table.get(3)).toBeUndefined();
    expect(table.delete(1)).toBe(true);
    expect(table.delete(1)).toBe(false);
    expect(table.size).toBe(1);
    expect(table.values()).toEqual(['B']);
  });

  it('takes every id the bus hands out, up to 0xffffffff (one past the largest array index)', () => {
    const table = new IdTable<number>();
    for (const id of [1, 0xfffffffe, 0xffffffff]) table.set(id, id);
    expect(table.values().sort((a, b) => a - b)).toEqual([1, 0xfffffffe, 0xffffffff]);
    expect(table.get(0xffffffff)).toBe(0xffffffff);
    expect(table.delete(0xffffffff)).toBe(true);
    expect(table.size).toBe(2);
  });

  it('lets values() be iterated while entries are deleted, and starts empty again after a burst', () => {
    const table = new IdTable<number>();
    for (let id = 1; id <= 1000; id++) table.set(id, id);
    for (const id of table.values()) table.delete(id);
    expect(table.size).toBe(0);
    expect(table.values()).toEqual([]);
    table.set(7, 7);
    expect(table.values()).toEqual([7]);
  });

  it('keeps an entry whose slot is taken by an older one, and finds both', () => {
    const table = new IdTable<string>();
    // 1 and 65 share a slot while the table has 64; 129 too.
    table.set(1, 'old');
    table.set(65, 'a');
    table.set(129, 'b');
    expect([table.get(1), table.get(65), table.get(129)]).toEqual(['old', 'a', 'b']);
    expect(table.size).toBe(3);
    expect(table.delete(1)).toBe(true);
    // 65 stays in overflow; replacing it must not leave a second copy in the freed slot.
    table.set(65, 'A');
    expect(table.size).toBe(2);
    expect(table.values()).toEqual(['A', 'b']);
    expect(table.delete(65)).toBe(true);
    expect(table.get(65)).toBeUndefined();
    expect(table.delete(65)).toBe(false);
    expect(table.size).toBe(1);
  });

  it('keeps a long-lived entry while a window of later ids turns the ring many times', () => {
    const table = new IdTable<number>();
    table.set(1, 1); // a call that outlives thousands of others
    for (let id = 2; id <= 5000; id++) {
      table.set(id, id);
      if (id - 200 > 1) table.delete(id - 200); // 200 in flight, like a pipelined client
    }
    expect(table.get(1)).toBe(1);
    expect(table.size).toBe(201);
    for (let id = 4801; id <= 5000; id++) expect(table.get(id)).toBe(id);
    for (const id of table.values()) table.delete(id);
    expect(table.size).toBe(0);
    table.set(0xffffffff, 7);
    expect(table.get(0xffffffff)).toBe(7);
  });

  it('agrees with a Map over a random walk of sets, replaces and deletes', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const table = new IdTable<number>();
    const model = new Map<number, number>();
    const mismatches: string[] = [];
    for (let step = 0; step < 30_000; step++) {
      // Ids from a small range collide often; a few far ones wrap the slot arithmetic.
      const id = random(10) === 0 ? 0xffffffff - random(300) : 1 + random(3000);
      if (random(3) < 2) {
        table.set(id, step);
        model.set(id, step);
      } else if (table.delete(id) !== model.delete(id)) {
        mismatches.push(`step ${step}: delete(${id})`);
      }
      if (table.get(id) !== model.get(id) || table.size !== model.size) mismatches.push(`step ${step}: id ${id}`);
    }
    expect(mismatches).toEqual([]);
    const sorted = [...model.keys()].sort((a, b) => a - b).map((id) => model.get(id));
    expect(table.values()).toEqual(sorted);
  });
});

