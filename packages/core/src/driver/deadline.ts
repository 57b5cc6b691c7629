import { from, Observable, type ObservableInput, type SchedulerLike } from 'rxjs';

/**
 * The first value of `source`, or `onTimeout()`'s error if none came within
 * `ms` on `scheduler` (so virtual-time tests control it). The timer starts
 * at subscription, which is the send: a deadline is always dated from it.
 * Unsubscribing from the result cancels both.
 */
export function withDeadline<T>(
  source: ObservableInput<T>,
  ms: number,
  scheduler: SchedulerLike,
  onTimeout: () => Error,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const timer = scheduler.schedule(() => subscriber.error(onTimeout()), Math.max(0, ms));
    const inner = from(source).subscribe({
      next: (value) => {
        timer.unsubscribe();
        subscriber.next(value);
        subscriber.complete();
      },
      error: (error: unknown) => {
        timer.unsubscribe();
        subscriber.error(error);
      },
      complete: () => {
        timer.unsubscribe();
        subscriber.complete();
      },
    });
    return () => {
      timer.unsubscribe();
      inner.unsubscribe();
    };
  });
}

/** `withDeadline` for promise-based drivers. */
export function deadlinePromise<T>(
  promise: PromiseLike<T>,
  ms: number,
  scheduler: SchedulerLike,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = scheduler.schedule(
      () => {
        if (done) return;
        done = true;
        reject(onTimeout());
      },
      Math.max(0, ms),
    );
    promise.then(
      (value) => {
        timer.unsubscribe();
        if (done) return;
        done = true;
        resolve(value);
      },
      (error: unknown) => {
        timer.unsubscribe();
        if (done) return;
        done = true;
        reject(error);
      },
    );
  });
}

/** A promise that resolves after `ms` on `scheduler`. */
export function sleep(ms: number, scheduler: SchedulerLike): Promise<void> {
  return new Promise((resolve) => scheduler.schedule(() => resolve(), Math.max(0, ms)));
}
