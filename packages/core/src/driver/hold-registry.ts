/**
 * What the current session holds, told apart from what earlier sessions
 * held. Every hold is stamped with the session generation it was taken in;
 * after the session is lost (`bury()`), handles of the old generation are
 * no longer this session's, so a late release or refresh of one can never
 * touch a newer hold of the same key (a re-entrant advisory lock, a
 * semaphore) taken by the new session.
 */
export class HoldRegistry<H extends object> {
  private current = 0;
  private readonly holds = new Map<H, number>();

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
    this.holds.set(handle, generation);
    return true;
  }

  /** Whether the hold belongs to the current session. */
  owns(handle: H): boolean {
    return this.holds.get(handle) === this.current;
  }

  /** Removes the hold if the current session has it; false otherwise (already gone, or an older session's). */
  take(handle: H): boolean {
    if (!this.owns(handle)) return false;
    this.holds.delete(handle);
    return true;
  }

  /** Every hold of the current session. */
  values(): IterableIterator<H> {
    return this.holds.keys();
  }

  /** The session is gone: forgets its holds, starts a new generation, and returns what was held. */
  bury(): H[] {
    const held = [...this.holds.keys()];
    this.holds.clear();
    this.current++;
    return held;
  }
}
