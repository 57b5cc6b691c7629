import {
  HoldRegistry,
  type LockBackend,
  type LockChange,
  type LockHandle,
  type LockHolder,
  type LockKey,
  type TryAcquireResult,
} from '@tooz/core/driver';
import { EMPTY, Observable } from 'rxjs';
import { syscall, toToozError } from './errors.js';
import type { Grant, Wait } from './native.js';
import type { SessionEnv } from './session.js';

/** One hold: the semaphore this process took with SEM_UNDO. */
export interface IpcLockHandle extends LockHandle {
  readonly semKey: number;
  readonly semid: number;
}

/**
 * Locks and leader seats on System V semaphores, one per name (Python
 * tooz's IPCLock, so the two exclude each other). The kernel gives a lock
 * back the moment its holder dies (SEM_UNDO) and hands it to the next
 * waiter at release, so a waiting acquire is one blocking semop on its own
 * thread. Nothing tells anyone else of a change: `changes()` is empty and
 * core polls holders for `leader$` (the descriptor says `poll`).
 */
export class IpcLocks implements LockBackend<IpcLockHandle> {
  private readonly holds = new HoldRegistry<IpcLockHandle>();
  private readonly waits = new Set<Wait>();

  constructor(private readonly env: SessionEnv) {}

  tryAcquire(key: LockKey): Observable<TryAcquireResult<IpcLockHandle>> {
    return syscall(() => {
      const semKey = this.env.keys.lock(key);
      const grant = this.env.addon.tryAcquire(this.env.table, semKey, this.env.memberIdBytes);
      return grant ? { acquired: true, handle: this.held(semKey, grant) } : { acquired: false };
    });
  }

  acquireQueued(key: LockKey): Observable<IpcLockHandle> {
    return new Observable<IpcLockHandle>((subscriber) => {
      const { addon, table } = this.env;
      const semKey = this.env.keys.lock(key);
      // A free lock is taken at once, on this thread: a thread per wait only when someone holds it.
      try {
        const grant = addon.tryAcquire(table, semKey, this.env.memberIdBytes);
        if (grant) {
          subscriber.next(this.held(semKey, grant));
          subscriber.complete();
          return;
        }
      } catch (error) {
        subscriber.error(toToozError(error));
        return;
      }
      let waiting = true;
      let wait: Wait;
      try {
        wait = addon.acquire(table, semKey, this.env.memberIdBytes, (error, grant) => {
          this.waits.delete(wait);
          if (!waiting) {
            // Granted as the subscriber left: given straight back, so nothing leaks.
            if (grant) addon.release(table, semKey, grant[0]);
            return;
          }
          waiting = false;
          if (error || !grant) return subscriber.error(toToozError(error ?? new Error('wait ended without a grant')));
          subscriber.next(this.held(semKey, grant));
          subscriber.complete();
        });
      } catch (error) {
        subscriber.error(toToozError(error));
        return;
      }
      this.waits.add(wait);
      return () => {
        if (!waiting) return;
        waiting = false;
        addon.cancel(wait);
      };
    });
  }

  release(_key: LockKey, handle: IpcLockHandle): Observable<boolean> {
    // False when it was removed behind our back (tooz's break_): there was nothing left to release.
    return syscall(
      () => this.holds.take(handle) && this.env.addon.release(this.env.table, handle.semKey, handle.semid),
    );
  }

  holder(key: LockKey): Observable<LockHolder | null> {
    return syscall(() => {
      const found = this.env.addon.holder(this.env.table, this.env.keys.lock(key));
      if (!found) return null;
      const [memberId, token, pid] = found;
      // A holder that wrote no record is not this driver (Python tooz): named by its process.
      return { memberId: memberId ? memberId.toString('utf8') : `pid:${pid}`, token };
    });
  }

  changes(): Observable<LockChange> {
    return EMPTY;
  }

  /** Waits still running are abandoned (core has released every hold before the session closes). */
  close(): void {
    for (const wait of this.waits) this.env.addon.cancel(wait);
    this.waits.clear();
  }

  private held(semKey: number, [semid, token]: Grant): IpcLockHandle {
    const handle = { semKey, semid, token };
    this.holds.add(handle);
    return handle;
  }
}
