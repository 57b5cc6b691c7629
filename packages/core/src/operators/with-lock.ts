import { concat, map, type Observable, type ObservableInput, from, switchMap, takeWhile } from 'rxjs';
import type { LockRunOptions } from '../locks/lock-run.js';
import type { LockLease } from '../locks/lease.js';

/** Anything with a `lock()` like the coordinator's. */
export interface Lockable {
  lock(name: string, options?: Partial<LockRunOptions>): Observable<LockLease>;
}

const DONE: unique symbol = Symbol('done');

/**
 * Acquires `name`, runs `work` with the lease, and releases when the work
 * completes, errors or is unsubscribed. If the lock is lost first, the work
 * is unsubscribed and the result errors with LockLostError.
 *
 * @example
 * withLock(coordinator, 'invoice-42', (lease) => charge$(lease.fencingToken)).subscribe();
 */
export function withLock<T>(
  coordinator: Lockable,
  name: string,
  work: (lease: LockLease) => ObservableInput<T>,
  options?: Partial<LockRunOptions>,
): Observable<T> {
  return coordinator.lock(name, options).pipe(
    // The lock stream stays open while held; appending DONE to the work lets
    // takeWhile end it, and ending it is what releases the lock.
    switchMap((lease) => concat(from(work(lease)).pipe(map((value) => ({ value }))), [DONE] as const)),
    takeWhile((item): item is { value: T } => item !== DONE),
    map((item) => item.value),
  );
}
