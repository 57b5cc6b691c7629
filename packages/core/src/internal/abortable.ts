import { firstValueFrom, type Observable } from 'rxjs';

/** The options of every coordinator call that may wait on the backend. */
export interface CallOptions {
  /**
   * Stops waiting: the call rejects with `signal.reason` as soon as it
   * aborts (at once if it already has, before anything is sent). A request
   * already on its way is not recalled: a create may still land.
   */
  readonly signal?: AbortSignal;
}

/** `work()` unless `signal` has aborted, rejecting with its reason the moment it aborts. */
export function abortable<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (!signal) return work();
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work().then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The first value of `source`, unsubscribing (and rejecting with the reason) when `signal` aborts. */
export function firstValueAbortable<T>(source: Observable<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return firstValueFrom(source);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      subscription.unsubscribe();
      reject(signal.reason);
    };
    const subscription = source.subscribe({
      next: (value) => {
        signal.removeEventListener('abort', onAbort);
        subscription?.unsubscribe();
        resolve(value);
      },
      error: (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
      complete: () => {
        signal.removeEventListener('abort', onAbort);
        reject(new Error('completed without a value'));
      },
    });
    if (!subscription.closed) signal.addEventListener('abort', onAbort, { once: true });
  });
}
