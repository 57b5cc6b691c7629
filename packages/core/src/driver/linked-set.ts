/**
 * A value's place in a LinkedSet: kept by whoever added it, handed back to
 * `delete`. A class, not an object literal: V8 may decide to allocate a
 * literal's objects straight into the old generation ("pretenuring", from a
 * burst of survivors), and a dead old entry would then keep its value, and
 * all the value references, alive through every minor GC until a full one.
 */
export class LinkedEntry<T> {
  /** The entry before this one, while it is in the set. */
  prev: LinkedEntry<T> | undefined;
  /** The entry after this one, while it is in the set. */
  next: LinkedEntry<T> | undefined = undefined;
  /** Set once the entry has left its set: it never comes back. */
  removed = false;

  /** Made by `LinkedSet.add`. */
  constructor(
    /** What was added. */
    readonly value: T,
    /** The set it was added to (an entry belongs to one set). */
    readonly set: LinkedSet<T>,
    prev: LinkedEntry<T> | undefined,
  ) {
    this.prev = prev;
  }
}

/**
 * An insertion-ordered set for values that come and go on every operation
 * (a request in flight, a hold): `add` returns the entry that `delete` takes,
 * in O(1), with no hashing.
 *
 * Why not a `Set` or a `Map`: V8 reallocates a hash table whenever it grows,
 * and on a delete that leaves it under a quarter full (a set that goes
 * between empty and one entry does so on every cycle), and the old table
 * keeps a link to the new one and keeps its entries. Once one such table has
 * been promoted to the old generation (a full GC's marking running beside
 * the loop is enough), that dead table keeps every later table alive through
 * each minor GC, with everything they held: measured on redis with 16 locks
 * in flight, that promoted over 1 KB per acquire and cost a third more CPU,
 * until the next full GC.
 *
 * Delete an entry while iterating only through a copy (`[...set]`): a
 * deleted entry forgets its neighbours, for the same reason.
 */
export class LinkedSet<T> implements Iterable<T> {
  private head: LinkedEntry<T> | undefined;
  private tail: LinkedEntry<T> | undefined;
  private count = 0;

  /** How many values are in the set. */
  get size(): number {
    return this.count;
  }

  /** Appends `value` (a value added twice has two entries) and returns its entry. */
  add(value: T): LinkedEntry<T> {
    const entry = new LinkedEntry(value, this, this.tail);
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.count++;
    return entry;
  }

  /** Whether `entry` is in this set (added here, not deleted since). */
  has(entry: LinkedEntry<T> | undefined): entry is LinkedEntry<T> {
    return entry !== undefined && entry.set === this && !entry.removed;
  }

  /** Removes the entry; false, and nothing changed, if it is not in this set (already deleted, or none). */
  delete(entry: LinkedEntry<T> | undefined): boolean {
    if (!this.has(entry)) return false;
    entry.removed = true;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
    this.count--;
    return true;
  }

  /** Empties the set and returns what it held, in order. */
  clear(): T[] {
    const values: T[] = [];
    for (let entry = this.head; entry; ) {
      const next = entry.next;
      values.push(entry.value);
      entry.removed = true;
      entry.prev = undefined;
      entry.next = undefined;
      entry = next;
    }
    this.head = undefined;
    this.tail = undefined;
    this.count = 0;
    return values;
  }

  /** The values in insertion order; delete while iterating only through a copy. */
  *[Symbol.iterator](): Iterator<T> {
    for (let entry = this.head; entry; entry = entry.next) yield entry.value;
  }
}
