import { HoldRegistry, KeyCounts } from '@tooz/core/driver';
import type { PostgresMemberHandle } from './groups.js';
import type { PostgresLockHandle } from './locks.js';

type Hold = PostgresLockHandle | PostgresMemberHandle;

/** What a lost session held, for the clean-up once a new session exists. */
export interface Grave {
  readonly pid: number;
  readonly started: string;
  /** The notices that wake the waiters of its locks and seats. */
  readonly payloads: readonly string[];
  /** The groups it was a member of (its rows there are swept). */
  readonly groups: readonly Buffer[];
}

/** The advisory keys a hold takes: tooz keys by their id (`p<n>`), so they never meet the 64-bit ones. */
const keysOf = (hold: Hold): readonly string[] =>
  'lock' in hold
    ? hold.lock.tooz
      ? [hold.lock.lockKey, hold.lock.tooz.id]
      : [hold.lock.lockKey]
    : [hold.group.memberKey];

/**
 * What the current session holds. Advisory locks are re-entrant and counted
 * per session, so every acquire must be matched by exactly one unlock, and
 * never by an unlock on a later session: the registry's generations keep
 * old sessions' handles out, and the per-key counts say whether anything
 * else of this session still holds a key (two names may share one).
 */
export class Holds {
  private readonly registry = new HoldRegistry<Hold>();
  /**
   * On their way out: still counted (the unlock may not have run), no longer
   * releasable. Weak, not a Set: a Set added to and deleted from on every
   * release reallocates its table (see LinkedSet in the driver kit).
   */
  private releasing = new WeakSet<Hold>();
  private readonly counts = new KeyCounts<string>();

  get generation(): number {
    return this.registry.generation;
  }

  /** Records a hold taken in `generation`; false, and nothing recorded, if that session has ended since. */
  add(hold: Hold, generation: number): boolean {
    if (!this.registry.add(hold, generation)) return false;
    for (const key of keysOf(hold)) this.counts.add(key, 1);
    return true;
  }

  owns(hold: Hold): boolean {
    return this.registry.owns(hold);
  }

  /** Marks a hold as being released; false if it is not this session's or already on its way out. */
  startRelease(hold: Hold): boolean {
    if (!this.registry.owns(hold) || this.releasing.has(hold)) return false;
    this.releasing.add(hold);
    return true;
  }

  endRelease(hold: Hold): void {
    this.releasing.delete(hold);
    if (this.registry.take(hold)) for (const key of keysOf(hold)) this.counts.add(key, -1);
  }

  /** How many holds of this key the session has (0: nothing may be unlocked on its behalf). */
  countOf(key: string): number {
    return this.counts.get(key);
  }

  /** The session is gone: forget its holds, start a new generation, and say what to clean up. */
  bury(pid: number, started: string): Grave {
    const held = this.registry.bury();
    this.releasing = new WeakSet<Hold>();
    this.counts.clear();
    const payloads: string[] = [];
    const groups: Buffer[] = [];
    for (const hold of held) {
      if ('lock' in hold) payloads.push(hold.lock.releasedPayload);
      else groups.push(hold.group.groupId);
    }
    return { pid, started, payloads, groups };
  }
}
