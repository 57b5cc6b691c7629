import type { LockHandle, MemberHandle } from '@tooz/core';
import { ReplaySubject } from 'rxjs';
import type { Commands } from './commands.js';
import { EarlyLosses } from './early-losses.js';
import type { InboxMessage } from './messages.js';

// Core subscribes to lost$ only once it has handled the grant, and a loss may
// come first (early-losses.ts): a ReplaySubject keeps it for that subscriber.
// next() means removed by someone else, error() means gone by expiry or data loss.

/**
 * One hold of a lock: its key, the exact value this acquire wrote, and (in
 * lockMode 'tooz') Python tooz's keys for the same lock, which hold that
 * value too.
 */
export class RedisLockHandle implements LockHandle {
  readonly lost$ = new ReplaySubject<void>(1);

  constructor(
    readonly key: string,
    readonly token: bigint,
    readonly tokenText: string,
    readonly value: string,
    readonly toozKeys: readonly string[] = [],
  ) {}

  /** Every key this hold wrote, its own first. */
  get allKeys(): string[] {
    return [this.key, ...this.toozKeys];
  }
}

/**
 * One membership: its keys, its field in the group hash, and the owner
 * token its join wrote. Every later step (refresh, update, leave) names the
 * token, so a step of an older membership of the same member never touches
 * a newer one.
 */
export class RedisMemberHandle implements MemberHandle {
  readonly lost$ = new ReplaySubject<void>(1);

  constructor(
    readonly groupKey: string,
    readonly deadlinesKey: string,
    readonly ownersKey: string,
    readonly pythonKey: string,
    readonly field: string,
    readonly owner: string,
  ) {}
}

const gone = (what: string) => new Error(`${what} was no longer on the server when the connection came back`);

/**
 * What this session holds right now, so that a hold can be told it is gone
 * the moment the server says so: on the member's inbox (a break, a watcher
 * that found it dead), and after a reconnect, before the session reports
 * `reconnected` (a restart or a failover may have lost it; nobody is told
 * "held" again for something the server no longer has).
 */
export class Holds {
  private readonly locks = new Map<string, RedisLockHandle>();
  private readonly members = new Map<string, RedisMemberHandle>();
  private readonly early = new EarlyLosses();

  /** An acquire or join on `key` is about to be sent; call the result once its reply is handled. */
  expecting(key: string): () => void {
    return this.early.expect(key);
  }

  addLock(handle: RedisLockHandle): void {
    if (this.early.take(handle.key, handle.tokenText)) return handle.lost$.next();
    this.locks.set(`${handle.key}\n${handle.tokenText}`, handle);
  }

  removeLock(handle: RedisLockHandle): void {
    this.locks.delete(`${handle.key}\n${handle.tokenText}`);
  }

  addMember(handle: RedisMemberHandle): void {
    // Removed as a dead member before the join's reply was read: an expiry, as in onInbox.
    if (this.early.take(handle.groupKey, handle.owner)) return handle.lost$.error(removedAsDead());
    this.members.set(handle.groupKey, handle);
  }

  removeMember(handle: RedisMemberHandle): void {
    if (this.members.get(handle.groupKey) === handle) this.members.delete(handle.groupKey);
  }

  onInbox(message: InboxMessage): void {
    if (message.type === 'lock-broken') {
      const handle = this.locks.get(`${message.lockKey}\n${message.token}`);
      if (!handle) return this.early.note(message.lockKey, message.token);
      this.removeLock(handle);
      handle.lost$.next();
    } else {
      // Only a member found past its deadline is removed by someone else: an expiry, not a theft.
      const handle = this.members.get(message.groupKey);
      if (handle?.owner !== message.owner) return this.early.note(message.groupKey, message.owner);
      this.removeMember(handle);
      handle.lost$.error(removedAsDead());
    }
  }

  /** Reads every hold back in one round trip; those the server no longer has are lost. */
  async verify(commands: Commands): Promise<void> {
    const locks = [...this.locks.values()];
    const members = [...this.members.values()];
    if (locks.length === 0 && members.length === 0) return;
    const [now, values, deadlines, owners] = await Promise.all([
      commands.time(),
      Promise.all(locks.map((handle) => commands.mget(handle.allKeys))),
      Promise.all(members.map((handle) => commands.zscore(handle.deadlinesKey, handle.field))),
      Promise.all(members.map((handle) => commands.hget(handle.ownersKey, handle.field))),
    ]);
    locks.forEach((handle, i) => {
      if (values[i]?.every((value) => value === handle.value)) return;
      this.removeLock(handle);
      handle.lost$.error(gone('The lock'));
    });
    members.forEach((handle, i) => {
      const deadline = deadlines[i];
      const alive = deadline !== null && deadline !== undefined && Number(deadline) >= now;
      if (alive && owners[i] === handle.owner) return;
      this.removeMember(handle);
      handle.lost$.error(gone('The membership'));
    });
  }
}

const removedAsDead = () => new Error('The membership was found past its deadline and removed');
