import { Observable, type Subscription } from 'rxjs';
import type { LockLease } from './lease.js';
import { whenReleased } from './lease.js';

/** The Promise flavour's lease: release it, or let `await using` do it. */
export interface AsyncLockLease extends LockLease, AsyncDisposable {
  /** Releases the lock and resolves once the backend has confirmed (or failed to). */
  release(): Promise<void>;
}

/**
 * Subscribes to a lock stream and resolves with the lease once held. The
 * subscription is the hold; `release()` ends it. An AbortSignal cancels the wait.
 */
export function acquireLease(lock$: Observable<LockLease>, signal?: AbortSignal): Promise<AsyncLockLease> {
  return new Promise<AsyncLockLease>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let acquired = false;
    let subscription: Subscription | undefined;
    const onAbort = () => {
      if (!acquired) {
        subscription?.unsubscribe();
        reject(signal?.reason);
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const holder = new Observable<LockLease>((subscriber) => lock$.subscribe(subscriber));
    subscription = holder.subscribe({
      next: (lease) => {
        acquired = true;
        signal?.removeEventListener('abort', onAbort);
        const release = () => {
          subscription?.unsubscribe();
          return whenReleased(lease);
        };
        resolve({
          get name() {
            return lease.name;
          },
          get fencingToken() {
            return lease.fencingToken;
          },
          get state() {
            return lease.state;
          },
          get state$() {
            return lease.state$;
          },
          get signal() {
            return lease.signal;
          },
          release,
          [Symbol.asyncDispose]: release,
        });
      },
      // After acquisition a loss is reported through the lease (state, signal), not here.
      error: (error: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        if (!acquired) reject(error);
      },
    });
  });
}
