import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { DriverContext, LockKey } from '@tooz/core/driver';
import { GroupStore } from './group-store.js';
import { LockStore } from './lock-store.js';
import { MemorySession } from './memory-session.js';
import { MemoryState } from './state.js';

/** Options of `new MemoryServer(...)`. */
export interface MemoryServerOptions {
  /** Clock for TTL expiry and reply latency; pass the TestScheduler for virtual time. */
  readonly scheduler?: SchedulerLike;
  /** Milliseconds between a request and its reply (default 0: replies are synchronous). */
  readonly latency?: number;
}

/**
 * An in-process coordination backend with TTLs, push notifications and fault
 * injection. Coordinators connected to one server see each other as if they
 * shared a real backend. Everything runs on the given scheduler.
 */
export class MemoryServer {
  /** The clock of TTLs and replies (default `asyncScheduler`). */
  readonly scheduler: SchedulerLike;
  /** Milliseconds before each reply; may be changed while running. */
  latency: number;
  /** The raw data (locks, groups, members), for assertions on what is left behind. */
  readonly state = new MemoryState();
  /** The lock table; tests normally use `holderOf` and `deleteLock`. */
  readonly locks: LockStore;
  /** The group table; tests normally use `deleteMember`. */
  readonly groups: GroupStore;
  private readonly sessions = new Set<MemorySession>();
  private handles = 0;
  private sessionIds = 0;

  constructor(options: MemoryServerOptions = {}) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.latency = options.latency ?? 0;
    const nextHandleId = () => ++this.handles;
    this.locks = new LockStore(this.state, this.scheduler, nextHandleId);
    this.groups = new GroupStore(this.state, this.scheduler, nextHandleId);
  }

  /** `push: false` gives a session with no notifications at all, as a poll backend (memcached, MySQL) has. */
  open(context: Pick<DriverContext, 'memberId'>, push = true): MemorySession {
    const session = new MemorySession(this, context.memberId, ++this.sessionIds, push);
    this.sessions.add(session);
    return session;
  }

  /** Called by a session when it closes; not for tests. */
  forget(session: MemorySession): void {
    this.sessions.delete(session);
  }

  /** The member's session expires: everything it held is gone; it then starts a new session. */
  expireSession(memberId: string): void {
    for (const session of this.sessionsOf(memberId)) {
      this.locks.dropSession(session.id);
      this.groups.dropSession(session.id);
      session.renew(++this.sessionIds);
    }
  }

  /** The member can no longer reach the server; its calls wait, TTLs keep running. */
  suspend(memberId: string): void {
    for (const session of this.sessionsOf(memberId)) session.suspend();
  }

  /** The member reaches the server again; its waiting calls proceed. */
  resume(memberId: string): void {
    for (const session of this.sessionsOf(memberId)) session.resume();
  }

  /** Deletes a lock behind its holder's back (the holder is pushed the loss). */
  deleteLock(name: string, kind: LockKey['kind'] = 'lock'): boolean {
    return this.locks.forceRelease({ kind, name });
  }

  /** Deletes a membership behind its owner's back (the owner is pushed the loss). */
  deleteMember(group: string, memberId: string): boolean {
    return this.groups.kick(group, memberId);
  }

  /** Who holds a lock, for assertions. */
  holderOf(name: string, kind: LockKey['kind'] = 'lock'): string | null {
    return this.locks.holder({ kind, name })?.memberId ?? null;
  }

  private sessionsOf(memberId: string): MemorySession[] {
    return [...this.sessions].filter((session) => session.memberId === memberId);
  }
}
