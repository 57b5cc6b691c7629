import { from, Observable, type ObservableInput, Subscription } from 'rxjs';
import { afterRelease, type LockLease } from '../locks/lease.js';
import type { LockOptions } from '../locks/lock-options.js';

/** Anything with a `lock()` like the coordinator's. */
export interface Lockable {
  /** Acquires `name` on subscribe and holds it until unsubscribe; see `Coordinator.lock`. */
  lock(name: string, options?: LockOptions): Observable<LockLease>;
}

/**
 * Acquires `name`, runs `work` with the lease, and releases when the work
 * completes, errors or is unsubscribed. The result completes (or errors
 * with the work's error) only once the backend has confirmed the release,
 * so whatever runs next finds the lock free. If the lock is lost first, the
 * work is unsubscribed and the result errors with LockLostError; if the
 * coordinator is closed, the work is unsubscribed and the result completes.
 *
 * @example
 * withLock(coordinator, 'invoice-42', (lease) => charge$(lease.fencingToken)).subscribe();
 */
export function withLock<T>(
  coordinator: Lockable,
  name: string,
  work: (lease: LockLease) => ObservableInput<T>,
  options?: LockOptions,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const hold = new Subscription();
    const running = new Subscription();
    let lease: LockLease | undefined;
    const finish = (then: () => void) => {
      running.unsubscribe();
      hold.unsubscribe();
      afterRelease(lease, then);
    };
    hold.add(
      coordinator.lock(name, options).subscribe({
        next: (held) => {
          lease = held;
          running.add(
            from(work(held)).subscribe({
              next: (value) => subscriber.next(value),
              error: (error: unknown) => finish(() => subscriber.error(error)),
              complete: () => finish(() => subscriber.complete()),
            }),
          );
        },
        // Lost, timed out or refused: the work (if any) stops with it.
        error: (error: unknown) => {
          running.unsubscribe();
          subscriber.error(error);
        },
        // The coordinator was closed (the lease's signal aborted first): not an error.
        complete: () => {
          running.unsubscribe();
          subscriber.complete();
        },
      }),
    );
    return () => {
      running.unsubscribe();
      hold.unsubscribe();
    };
  });
}
