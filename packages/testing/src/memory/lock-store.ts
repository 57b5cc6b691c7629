import { type LockHandle, type LockHolder, type LockKey, LossSignal, type TryAcquireResult } from '@tooz/core/driver';
import { type SchedulerLike, timer } from 'rxjs';
import type { LockRecord, MemoryState } from './state.js';

export const lockKeyOf = (key: LockKey): string => `${key.kind}:${key.name}`;

export interface MemoryLockHandle extends LockHandle {
  readonly handleId: number;
}

/** Lock operations of the memory server; each runs atomically, as a Lua script would on Redis. */
export class LockStore {
  constructor(
    private readonly state: MemoryState,
    private readonly scheduler: SchedulerLike,
    private readonly nextHandleId: () => number,
  ) {}

  tryAcquire(key: LockKey, ttl: number, sessionId: number, memberId: string): TryAcquireResult<MemoryLockHandle> {
    const id = lockKeyOf(key);
    const current = this.state.locks.get(id);
    if (current) return { acquired: false, retryAfter: this.remaining(current) };
    const record: LockRecord = {
      handleId: this.nextHandleId(),
      sessionId,
      memberId,
      token: this.state.nextToken(id),
      expiry: undefined,
      loss: new LossSignal(),
    };
    this.state.locks.set(id, record);
    this.arm(id, record, ttl);
    this.state.lockTopic(id).next({ type: 'acquired', holder: memberId });
    return { acquired: true, handle: { token: record.token, handleId: record.handleId, lost$: record.loss.lost$ } };
  }

  release(key: LockKey, handle: MemoryLockHandle): boolean {
    const id = lockKeyOf(key);
    const current = this.state.locks.get(id);
    if (!current || current.handleId !== handle.handleId) return false;
    this.drop(id, current);
    return true;
  }

  refresh(key: LockKey, handle: MemoryLockHandle, ttl: number): boolean {
    const id = lockKeyOf(key);
    const current = this.state.locks.get(id);
    if (!current || current.handleId !== handle.handleId) return false;
    this.arm(id, current, ttl);
    return true;
  }

  holder(key: LockKey): LockHolder | null {
    const current = this.state.locks.get(lockKeyOf(key));
    return current ? { memberId: current.memberId, token: current.token } : null;
  }

  /** Deletes the key behind its holder's back; the holder is told, as a watch on its key would. */
  forceRelease(key: LockKey): boolean {
    const id = lockKeyOf(key);
    const current = this.state.locks.get(id);
    if (!current) return false;
    this.drop(id, current);
    current.loss.stolen();
    return true;
  }

  /** Drops every hold of a session (its expiry), silently for the holder: it learns from the session signal. */
  dropSession(sessionId: number): void {
    for (const [id, record] of [...this.state.locks]) if (record.sessionId === sessionId) this.drop(id, record);
  }

  private expiresAt = new WeakMap<LockRecord, number>();

  private remaining(record: LockRecord): number {
    return Math.max(1, (this.expiresAt.get(record) ?? this.scheduler.now()) - this.scheduler.now());
  }

  private arm(id: string, record: LockRecord, ttl: number): void {
    record.expiry?.unsubscribe();
    this.expiresAt.set(record, this.scheduler.now() + ttl);
    // The TTL runs out on the server without telling the holder, as on Redis.
    record.expiry = timer(ttl, this.scheduler).subscribe(() => {
      if (this.state.locks.get(id) === record) this.drop(id, record);
    });
  }

  private drop(id: string, record: LockRecord): void {
    record.expiry?.unsubscribe();
    this.state.locks.delete(id);
    this.state.lockTopic(id).next({ type: 'released' });
  }
}
