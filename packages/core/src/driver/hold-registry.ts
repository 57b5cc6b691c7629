import { type LinkedEntry, LinkedSet } from './linked-set.js';

/** Where a handle keeps its entry in the registry that holds it (one registry per handle at a time). */
const ENTRY: unique symbol = Symbol('tooz.holdRegistry.entry');

type Registered<H> = H & { [ENTRY]?: LinkedEntry<H> };

/**
 * What the current session holds, told apart from what earlier sessions
 * held. Every hold is stamped with the session generation it was taken in;
 * after the session is lost (`bury()`), handles of the old generation are
 * no longer this session's, so a late release or refresh of one can never
 * touch a newer hold of the same key (a re-entrant advisory lock, a
 * semaphore) taken by the new session.
 *
 * Every acquire adds a hold and every release takes one, so this is a
 * LinkedSet (see there why not a Map), and a handle carries its own entry
 * under a private symbol: a handle is in one registry at a time.
 */
export class HoldRegistry<H extends object> {
  private current = 0;
  private readonly holds = new LinkedSet<H>();

  /** The generation of the current session (stamped on holds added now). */
  get generation(): number {
    return this.current;
  }

  /** Holds currently registered. */
  get size(): number {
    return this.holds.size;
  }

  /** Records a hold taken in `generation` (default: now). False, and nothing recorded, if that session is gone. */
  add(handle: H, generation = this.current): boolean {
    if (generation !== this.current) return false;
    const registered = handle as Registered<H>;
    if (!this.holds.has(registered[ENTRY])) registered[ENTRY] = this.holds.add(handle);
    return true;
  }

  /** Whether the hold belongs to the current session. */
  owns(handle: H): boolean {
    return this.holds.has((handle as Registered<H>)[ENTRY]);
  }

  /** Removes the hold if the current session has it; false otherwise (already gone, or an older session's). */
  take(handle: H): boolean {
    return this.holds.delete((handle as Registered<H>)[ENTRY]);
  }

  /** Every hold of the current session, as it is now: taking one while iterating is safe. */
  values(): IterableIterator<H> {
    return [...this.holds].values();
  }

  /** The session is gone: forgets its holds, starts a new generation, and returns what was held. */
  bury(): H[] {
    this.current++;
    // Cleared entries are never in the set again, so an older session's handle is never owned.
    return this.holds.clear();
  }
}
