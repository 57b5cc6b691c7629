import { first, map, Observable, repeat, type SchedulerLike, timer } from 'rxjs';
import { toToozError } from './errors.js';

/**
 * The driver's calls are short system calls on a local file system, done
 * synchronously: an Observable that answers on subscribe costs core no
 * promise round trip, which matters on the lock hot path.
 */
export function syncCall<T>(work: () => T): Observable<T> {
  return new Observable<T>((subscriber) => {
    let value: T;
    try {
      value = work();
    } catch (error) {
      subscriber.error(toToozError(error));
      return;
    }
    subscriber.next(value);
    subscriber.complete();
  });
}

/** What an attempt answers when another process is midway through its few system calls. */
export const AGAIN = Symbol('again');

/**
 * `attempt()` until it answers something other than AGAIN, 1 ms apart on
 * the scheduler, at most `tries` times, then `exhausted()`. Not a backoff:
 * nothing failed, another process is finishing a write (a holder record, a
 * prune) that takes microseconds unless that process is stopped right there.
 */
export function syncAttempts<T>(
  scheduler: SchedulerLike,
  tries: number,
  attempt: () => T | typeof AGAIN,
  exhausted: () => T,
): Observable<T> {
  return syncCall(attempt).pipe(
    repeat({ count: tries, delay: () => timer(1, scheduler) }),
    first((value) => value !== AGAIN, AGAIN),
    map((value) => (value === AGAIN ? exhausted() : value)),
  );
}
