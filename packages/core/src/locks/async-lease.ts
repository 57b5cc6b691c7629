import type { Observable, Subscription } from 'rxjs';
import { CoordinatorClosedError } from '../errors/errors.js';
import type { LeaseState, LockLease } from './lease.js';
import { whenReleased } from './lease.js';

/** The Promise flavour's lease: release it, or let `await using` do it. */
export interface AsyncLockLease extends LockLease, AsyncDisposable {
  /** Releases the lock and resolves once the backend has confirmed (or failed to). */
  release(): Promise<void>;
}

/** A class rather than an object literal with accessors: cheaper on every acquire. */
class AsyncLease implements AsyncLockLease {
  subscription: Subscription | undefined;

  constructor(private readonly lease: LockLease) {}

  get name(): string {
    return this.lease.name;
  }

  get fencingToken(): bigint {
    return this.lease.fencingToken;
  }

  get state(): LeaseState {
    return this.lease.state;
  }

  get state$(): Observable<LeaseState> {
    return this.lease.state$;
  }

  get signal(): AbortSignal {
    return this.lease.signal;
  }

  release(): Promise<void> {
    this.subscription?.unsubscribe();
    return whenReleased(this.lease);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/**
 * Subscribes to a lock stream and resolves with the lease once held. The
 * subscription is the hold; `release()` ends it. An AbortSignal cancels the wait.
 */
export function acquireLease(lock$: Observable<LockLease>, signal?: AbortSignal): Promise<AsyncLockLease> {
  return new Promise<AsyncLockLease>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let acquired: AsyncLease | undefined;
    let subscription: Subscription | undefined;
    const onAbort = () => {
      if (acquired) return;
      subscription?.unsubscribe();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    subscription = lock$.subscribe({
      next: (lease) => {
        acquired = new AsyncLease(lease);
        acquired.subscription = subscription;
        signal?.removeEventListener('abort', onAbort);
        resolve(acquired);
      },
      // After acquisition a loss is reported through the lease (state, signal), not here.
      error: (error: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        if (!acquired) reject(error);
      },
      // Completing without a lease: the coordinator was closed while this waited.
      complete: () => {
        signal?.removeEventListener('abort', onAbort);
        if (!acquired) reject(new CoordinatorClosedError());
      },
    });
    // A synchronous acquire resolved before `subscription` was assigned.
    if (acquired) acquired.subscription = subscription;
  });
}
