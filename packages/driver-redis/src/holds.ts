import type { LockHandle, MemberHandle } from '@tooz/core';
import { Subject } from 'rxjs';
import type { Commands } from './commands.js';
import type { InboxMessage } from './messages.js';

/** One hold of a lock: its key and the exact value this acquire wrote. */
export class RedisLockHandle implements LockHandle {
  readonly lost$ = new Subject<void>();

  constructor(
    readonly key: string,
    readonly token: bigint,
    readonly tokenText: string,
    readonly value: string,
  ) {}
}

export class RedisMemberHandle implements MemberHandle {
  readonly lost$ = new Subject<void>();

  constructor(
    readonly groupKey: string,
    readonly deadlinesKey: string,
    readonly field: string,
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

  addLock(handle: RedisLockHandle): void {
    this.locks.set(`${handle.key}\n${handle.tokenText}`, handle);
  }

  removeLock(handle: RedisLockHandle): void {
    this.locks.delete(`${handle.key}\n${handle.tokenText}`);
  }

  addMember(handle: RedisMemberHandle): void {
    this.members.set(handle.groupKey, handle);
  }

  removeMember(handle: RedisMemberHandle): void {
    if (this.members.get(handle.groupKey) === handle) this.members.delete(handle.groupKey);
  }

  onInbox(message: InboxMessage): void {
    if (message.type === 'lock-broken') {
      const handle = this.locks.get(`${message.lockKey}\n${message.token}`);
      if (!handle) return;
      this.removeLock(handle);
      handle.lost$.next();
    } else {
      // Only a member found past its deadline is removed by someone else: an expiry, not a theft.
      const handle = this.members.get(message.groupKey);
      if (!handle) return;
      this.removeMember(handle);
      handle.lost$.error(new Error('The membership was found past its deadline and removed'));
    }
  }

  /** Reads every hold back in one round trip; those the server no longer has are lost. */
  async verify(commands: Commands): Promise<void> {
    const locks = [...this.locks.values()];
    const members = [...this.members.values()];
    if (locks.length === 0 && members.length === 0) return;
    const [now, values, deadlines] = await Promise.all([
      commands.time(),
      Promise.all(locks.map((handle) => commands.get(handle.key))),
      Promise.all(members.map((handle) => commands.zscore(handle.deadlinesKey, handle.field))),
    ]);
    locks.forEach((handle, i) => {
      if (values[i] === handle.value) return;
      this.removeLock(handle);
      handle.lost$.error(gone('The lock'));
    });
    members.forEach((handle, i) => {
      const deadline = deadlines[i];
      if (deadline !== null && deadline !== undefined && Number(deadline) >= now) return;
      this.removeMember(handle);
      handle.lost$.error(gone('The membership'));
    });
  }
}
