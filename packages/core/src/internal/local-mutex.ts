import { SweptMap } from '../driver/swept-map.js';

/** A holder or waiter of a local slot: told when the slot is its own. */
export interface LocalWaiter {
  onLocalSlot(): void;
}

/** A class, not an object literal: made on a name's first acquire (see LinkedEntry on pretenuring). */
class Slot {
  busy = false;
  readonly waiters: LocalWaiter[] = [];
}

const newSlot = () => new Slot();

/**
 * Serialises holders of one key inside one coordinator. Backends differ on
 * re-entrancy (PostgreSQL advisory locks are re-entrant per session, Redis
 * SET NX is not); queueing locally first gives every driver the same
 * non-re-entrant semantics and saves the backend a round trip per local waiter.
 *
 * A slot stays in the map when it falls idle, and idle slots are swept in
 * bulk (SweptMap), so a coordinator that touched many names holds on to few.
 */
export class LocalMutex {
  private readonly slots = new SweptMap<string, Slot>((slot) => !slot.busy);

  /** Calls `waiter.onLocalSlot()` (maybe synchronously) when the slot is its own. */
  enter(key: string, waiter: LocalWaiter): void {
    const slot = this.slots.use(key, newSlot);
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
    this.slots.idled();
  }
}
