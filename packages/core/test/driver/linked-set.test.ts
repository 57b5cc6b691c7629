import { LinkedSet } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';

describe('LinkedSet', () => {
  it('keeps insertion order and deletes any entry by its handle, once', () => {
    const set = new LinkedSet<string>();
    const a = set.add('a');
    const b = set.add('b');
    const c = set.add('c');
    expect([...set]).toEqual(['a', 'b', 'c']);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect([...set]).toEqual(['a', 'c']);
    expect(set.delete(a)).toBe(true);
    expect(set.delete(c)).toBe(true);
    expect([...set]).toEqual([]);
    expect(set.size).toBe(0);
    set.add('d');
    expect([...set]).toEqual(['d']);
  });

  it('a deleted entry keeps no neighbour, so a dead entry holds on to nothing after it', () => {
    const set = new LinkedSet<number>();
    const first = set.add(1);
    set.add(2);
    const middle = set.add(3);
    set.add(4);
    set.delete(middle);
    set.delete(first);
    expect([middle.prev, middle.next, first.prev, first.next]).toEqual([undefined, undefined, undefined, undefined]);
    expect([...set]).toEqual([2, 4]);
  });

  it('knows its own entries only', () => {
    const one = new LinkedSet<string>();
    const other = new LinkedSet<string>();
    const entry = one.add('x');
    expect(other.has(entry)).toBe(false);
    expect(other.delete(entry)).toBe(false);
    expect(one.has(entry)).toBe(true);
    expect(one.size).toBe(1);
  });

  it('clear() returns the values in order and leaves every entry deleted', () => {
    const set = new LinkedSet<string>();
    const entries = ['a', 'b', 'c'].map((value) => set.add(value));
    expect(set.clear()).toEqual(['a', 'b', 'c']);
    expect(entries.map((entry) => set.has(entry))).toEqual([false, false, false]);
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
    set.add('e');
    expect([...set]).toEqual(['e']);
  });
});
