import type { Held } from './context.js';

/**
 * An item's place in a HeldSet: kept by the item, handed back to `delete`.
 * A class, not an object literal: V8 may decide to allocate a literal's
 * objects straight into the old generation ("pretenuring", from a burst of
 * survivors), and a dead old node then keeps its lock run, and all that run
 * references, alive through every minor GC until the next full one.
 */
export class HeldNode {
  prev: HeldNode | undefined;
  next: HeldNode | undefined = undefined;
  removed = false;

  constructor(
    readonly item: Held,
    prev: HeldNode | undefined,
  ) {
    this.prev = prev;
  }
}

/**
 * What a coordinator holds, in the order it was taken: a linked list rather
 * than a Set, because every lock enters and leaves it, and a V8 Set that
 * goes between empty and one entry reallocates its table on every cycle.
 * Iterate over a copy (`[...held]`) when the loop may end things.
 */
export class HeldSet implements Iterable<Held> {
  private head: HeldNode | undefined;
  private tail: HeldNode | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: Held): HeldNode {
    const node = new HeldNode(item, this.tail);
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
    return node;
  }

  /** Idempotent: a node already removed (or none) is ignored. */
  delete(node: HeldNode | undefined): void {
    if (!node || node.removed) return;
    node.removed = true;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.count--;
  }

  *[Symbol.iterator](): Iterator<Held> {
    for (let node = this.head; node; node = node.next) yield node.item;
  }
}
