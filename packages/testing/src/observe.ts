import type { LockLease } from '@tooz/core';
import { filter, firstValueFrom, type Observable, type Subscription, take, timeout } from 'rxjs';

/**
 * The first value of `source` that satisfies `predicate`. A hang guard of
 * `bound` ms (real time) turns a value that never comes into a failure
 * naming `what`: never a timing assertion.
 */
export function until<T>(
  source: Observable<T>,
  predicate: (value: T) => boolean = () => true,
  what = 'matching value',
  bound = 30_000,
): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(predicate),
      take(1),
      timeout({ first: bound, with: () => Promise.reject(new Error(`no ${what} within ${bound} ms`)) }),
    ),
  );
}

/** What happened to a lock subscription: its leases, its error, and how to let go. */
export interface HeldLock {
  /** Every lease emitted, oldest first. */
  readonly leases: LockLease[];
  /** Every error the subscription ended with (at most one). */
  readonly errors: unknown[];
  /** The latest lease, if any. */
  readonly lease: LockLease | undefined;
  /** The error the subscription ended with, if any. */
  readonly error: unknown;
  /** The subscription to `lock$`. */
  readonly subscription: Subscription;
  /** Unsubscribes, which releases the lock. */
  release(): void;
}

/** Subscribes to a lock (`coordinator.lock(name)`) and records what happens to it. */
export function holdLock(lock$: Observable<LockLease>): HeldLock {
  const leases: LockLease[] = [];
  const errors: unknown[] = [];
  const subscription = lock$.subscribe({
    next: (lease) => leases.push(lease),
    error: (error: unknown) => errors.push(error),
  });
  return {
    leases,
    errors,
    get lease() {
      return leases.at(-1);
    },
    get error() {
      return errors.at(-1);
    },
    subscription,
    release: () => subscription.unsubscribe(),
  };
}
