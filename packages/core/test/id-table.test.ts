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
});
