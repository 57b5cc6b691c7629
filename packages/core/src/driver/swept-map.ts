/** Idle entries are kept for reuse, and swept once there are this many and they are the majority. */
const SWEEP_AT = 1_024;

/**
 * Per-key state that falls idle and comes back on every cycle (a lock
 * name's local slot, a key's hold count): an entry that falls idle stays in
 * the map, and idle entries are swept in bulk. A Map entry deleted and added
 * again on every cycle reallocates the table each time (see LinkedSet for
 * what that costs), while a process that touched many keys still keeps few.
 *
 * Values changed in place: the owner says when one falls idle (`idled()`),
 * once per fall, and `use` notices an idle one coming back through
 * `isIdle`. Values replaced (a count): `set` keeps the tally itself.
 */
export class SweptMap<K, V> {
  private readonly entries = new Map<K, V>();
  private idle = 0;

  constructor(
    /** Whether an entry is idle now (and may be swept). */
    private readonly isIdle: (value: V) => boolean,
  ) {}

  /** How many entries, idle ones included. */
  get size(): number {
    return this.entries.size;
  }

  /** The entry of `key`, if there is one (idle or not). */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The entry of `key`, made by `create` if there is none; call before making an idle entry busy. */
  use(key: K, create: (key: K) => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = create(key);
      this.entries.set(key, value);
    } else if (this.isIdle(value)) {
      this.idle--;
    }
    return value;
  }

  /** Sets the value of `key`, counting it idle or busy as `isIdle` says (for values replaced, not changed in place). */
  set(key: K, value: V): void {
    const before = this.entries.get(key);
    const wasIdle = before !== undefined && this.isIdle(before);
    this.entries.set(key, value);
    if (wasIdle && !this.isIdle(value)) this.idle--;
    else if (!wasIdle && this.isIdle(value)) this.idled();
  }

  /** An entry has just fallen idle. */
  idled(): void {
    if (++this.idle >= SWEEP_AT && this.idle * 2 > this.entries.size) this.sweep();
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
    this.idle = 0;
  }

  private sweep(): void {
    for (const [key, value] of this.entries) if (this.isIdle(value)) this.entries.delete(key);
    this.idle = 0;
  }
}
