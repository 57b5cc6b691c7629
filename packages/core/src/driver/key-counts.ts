/** Keys at zero are kept for reuse, and swept once there are this many and they are the majority. */
const SWEEP_AT = 1_024;

/**
 * A count per key (how many holds of this session have an advisory key),
 * changed on every acquire and release. A key that falls to zero keeps its
 * entry, and such keys are swept in bulk: a Map entry deleted and added
 * again on every cycle reallocates the table each time (see LinkedSet for
 * what that costs), while a session that touched many keys still keeps few.
 */
export class KeyCounts<K> {
  private readonly counts = new Map<K, number>();
  private zeros = 0;

  /** The count of `key` (0 if it was never counted). */
  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  /** Adds `delta` (+1, -1) to the count of `key`; a count never goes below zero. */
  add(key: K, delta: number): void {
    const before = this.counts.get(key);
    const after = Math.max(0, (before ?? 0) + delta);
    if (before === after) return;
    if (before === 0) this.zeros--;
    this.counts.set(key, after);
    if (after === 0 && ++this.zeros >= SWEEP_AT && this.zeros * 2 > this.counts.size) this.sweep();
  }

  /** Forgets every count. */
  clear(): void {
    this.counts.clear();
    this.zeros = 0;
  }

  private sweep(): void {
    for (const [key, count] of this.counts) if (count === 0) this.counts.delete(key);
    this.zeros = 0;
  }
}
