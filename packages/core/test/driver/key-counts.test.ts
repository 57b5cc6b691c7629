import { KeyCounts } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';

describe('KeyCounts', () => {
  it('counts up and down per key, never below zero', () => {
    const counts = new KeyCounts<string>();
    counts.add('a', 1);
    counts.add('a', 1);
    counts.add('b', 1);
    counts.add('a', -1);
    expect([counts.get('a'), counts.get('b'), counts.get('c')]).toEqual([1, 1, 0]);
    counts.add('b', -1);
    counts.add('b', -1);
    expect(counts.get('b')).toBe(0);
    counts.add('b', 1);
    expect(counts.get('b')).toBe(1);
    counts.clear();
    expect(counts.get('a')).toBe(0);
  });

  it('keeps counting right across the sweep of keys at zero', () => {
    const counts = new KeyCounts<number>();
    counts.add(-1, 1);
    for (let key = 0; key < 5_000; key++) {
      counts.add(key, 1);
      counts.add(key, -1);
    }
    expect(counts.get(-1)).toBe(1);
    expect(counts.get(4_999)).toBe(0);
    counts.add(4_999, 1);
    expect(counts.get(4_999)).toBe(1);
    // Swept entries are really gone: the map is not one entry per key ever counted.
    expect((counts as unknown as { counts: Map<number, number> }).counts.size).toBeLessThan(2_100);
  });
});
