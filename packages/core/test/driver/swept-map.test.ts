import { SweptMap } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';

class Entry {
  busy = true;
}

describe('SweptMap', () => {
  it('keeps an idle entry for reuse, and sweeps idle entries once they are many and the majority', () => {
    const map = new SweptMap<number, Entry>((entry) => !entry.busy);
    const made: number[] = [];
    const create = (key: number) => {
      made.push(key);
      return new Entry();
    };
    const first = map.use(1, create);
    first.busy = false;
    map.idled();
    const again = map.use(1, create);
    expect(again).toBe(first);
    again.busy = true;
    expect(made).toEqual([1]);
    // Busy again: an entry in use is never swept, however many idle ones go.
    for (let key = 2; key <= 3_000; key++) {
      map.use(key, create).busy = false;
      map.idled();
    }
    expect(map.get(1)).toBe(first);
    expect(map.size).toBeLessThan(2_100);
    expect(map.get(2)).toBeUndefined();
  });

  it('counts an idle entry that comes back as busy: no sweep while most entries are in use', () => {
    const map = new SweptMap<number, Entry>((entry) => !entry.busy);
    const create = () => new Entry();
    for (let key = 0; key < 2_000; key++) map.use(key, create);
    for (let round = 0; round < 3; round++) {
      for (let key = 0; key < 1_500; key++) {
        const entry = map.use(key, create);
        entry.busy = false;
        map.idled();
        map.use(key, create);
        entry.busy = true;
      }
    }
    expect(map.size).toBe(2_000);
  });

  it('set() keeps the idle tally for replaced values: busy values are never swept', () => {
    const map = new SweptMap<number, number>((count) => count === 0);
    map.set(-1, 1);
    for (let key = 0; key < 3_000; key++) {
      map.set(key, 1);
      map.set(key, 0);
    }
    expect(map.get(-1)).toBe(1);
    expect(map.size).toBeLessThan(2_100);
    map.set(-1, 0);
    map.set(-1, 2);
    expect(map.get(-1)).toBe(2);
  });
});
