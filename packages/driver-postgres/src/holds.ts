import type { LockHandle, MemberHandle } from '@tooz/core';

/** A hold of one advisory lock by this coordinator's session. */
export interface PgLockHandle extends LockHandle {
  readonly generation: number;
  readonly lockKey: string;
  /** The NOTIFY payload that wakes this lock's waiters. */
  readonly releasedPayload: string;
  /** `lockMode: 'tooz'`: Python tooz's two-`int4` key, also held, and its id among the counted keys. */
  readonly tooz?: { readonly key: readonly [number, number]; readonly id: string };
}

/** A membership: its row (told apart from later joins by `joinId`) and its advisory lock. */
export interface PgMemberHandle extends MemberHandle {
  readonly generation: number;
  readonly groupId: Buffer;
  readonly joinId: string;
  readonly lockKey: string;
}

/** What a lost session held, for the clean-up once a new session exists. */
export interface Grave {
  readonly pid: number;
  readonly started: string;
  readonly payloads: readonly string[];
  readonly groups: readonly Buffer[];
}

/**
 * What the current session holds. Advisory locks are re-entrant and counted
 * per session, so every acquire must be matched by exactly one unlock, and
 * never by an unlock on a later session: handles carry the generation of the
 * session that took them, and only handles of the current one are released.
 */
export class Holds {
  generation = 0;
  private readonly locks = new Set<PgLockHandle>();
  private readonly releasing = new Set<PgLockHandle>();
  private readonly members = new Set<PgMemberHandle>();
  /** Holds per advisory key in this session (two names may share a key; tooz keys as `p<n>`, see toozKeyId). */
  private readonly counts = new Map<string, number>();

  addLock(handle: PgLockHandle): void {
    this.locks.add(handle);
    this.count(handle.lockKey, 1);
    if (handle.tooz) this.count(handle.tooz.id, 1);
  }

  /** Marks a hold as being released; false if it is not this session's or already on its way out. */
  startRelease(handle: PgLockHandle): boolean {
    if (handle.generation !== this.generation || !this.locks.delete(handle)) return false;
    this.releasing.add(handle);
    return true;
  }

  endRelease(handle: PgLockHandle): void {
    if (!this.releasing.delete(handle)) return;
    this.count(handle.lockKey, -1);
    if (handle.tooz) this.count(handle.tooz.id, -1);
  }

  addMember(handle: PgMemberHandle): void {
    this.members.add(handle);
    this.count(handle.lockKey, 1);
  }

  removeMember(handle: PgMemberHandle): boolean {
    if (handle.generation !== this.generation || !this.members.delete(handle)) return false;
    this.count(handle.lockKey, -1);
    return true;
  }

  /** How many holds of this key the session has (0: nothing may be unlocked on its behalf). */
  countOf(lockKey: string): number {
    return this.counts.get(lockKey) ?? 0;
  }

  /** The session is gone: forget its holds, start a new generation, and say what to clean up. */
  bury(pid: number, started: string): Grave {
    const payloads = [...this.locks, ...this.releasing].map((handle) => handle.releasedPayload);
    const groups = [...this.members].map((handle) => handle.groupId);
    this.locks.clear();
    this.releasing.clear();
    this.members.clear();
    this.counts.clear();
    this.generation++;
    return { pid, started, payloads, groups };
  }

  private count(lockKey: string, delta: number): void {
    const next = (this.counts.get(lockKey) ?? 0) + delta;
    if (next <= 0) this.counts.delete(lockKey);
    else this.counts.set(lockKey, next);
  }
}
