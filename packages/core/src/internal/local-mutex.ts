/** A holder or waiter of a local slot: told when the slot is its own. */
export interface LocalWaiter {
  onLocalSlot(): void;
}

interface Slot {
  busy: boolean;
  readonly waiters: LocalWaiter[];
}

/** Idle slots are kept for reuse, and swept once there are this many and they are the majority. */
const SWEEP_AT = 1_024;

/**
 * Serialises holders of one key inside one coordinator. Backends differ on
 * re-entrancy (PostgreSQL advisory locks are re-entrant per session, Redis
 * SET NX is not); queueing locally first gives every driver the same
 * non-re-entrant semantics and saves the backend a round trip per local waiter.
 *
 * A slot stays in the map when it falls idle (a Map entry deleted and added
 * again on every acquire reallocates the table), and idle slots are swept in
 * bulk, so a coordinator that touched many names holds on to few of them.
 */
export class LocalMutex {
  private readonly slots = new Map<string, Slot>();
  private idle = 0;

  /** Calls `waiter.onLocalSlot()` (maybe synchronously) when the slot is its own. */
  enter(key: string, waiter: LocalWaiter): void {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { busy: false, waiters: [] };
      this.slots.set(key, slot);
    } else if (!slot.busy) {
      this.idle--;
    }
    if (slot.busy) {
      slot.waiters.push(waiter);
      return;
    }
    slot.busy = true;
    waiter.onLocalSlot();
  }

  /**
   * Gives the slot up (`granted`: the waiter was told it was its own) or
   * leaves the queue. Call it once per `enter`, even from inside `onLocalSlot`.
   */
  leave(key: string, waiter: LocalWaiter, granted: boolean): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    if (!granted) {
      const index = slot.waiters.indexOf(waiter);
      if (index !== -1) slot.waiters.splice(index, 1);
      return;
    }
    const next = slot.waiters.shift();
    if (next) return next.onLocalSlot();
    slot.busy = false;
    this.idle++;
    if (this.idle >= SWEEP_AT && this.idle * 2 > this.slots.size) this.sweep();
  }

  private sweep(): void {
    for (const [key, slot] of this.slots) if (!slot.busy) this.slots.delete(key);
    this.idle = 0;
  }
}
