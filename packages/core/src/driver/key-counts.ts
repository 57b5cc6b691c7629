import { SweptMap } from './swept-map.js';

/**
 * A count per key (how many holds of this session have an advisory key),
 * changed on every acquire and release: keys at zero are kept and swept in
 * bulk (see SweptMap).
 */
export class KeyCounts<K> {
  private readonly counts = new SweptMap<K, number>((count) => count === 0);

  /** The count of `key` (0 if it was never counted). */
  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  /** Adds `delta` (+1, -1) to the count of `key`; a count never goes below zero. */
  add(key: K, delta: number): void {
    const before = this.counts.get(key) ?? 0;
    const after = Math.max(0, before + delta);
    if (before !== after) this.counts.set(key, after);
  }

  /** Forgets every count. */
  clear(): void {
    this.counts.clear();
  }
}
