import { Observable } from 'rxjs';
import { toBackendError } from './errors.js';

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
      subscriber.error(toBackendError(error));
      return;
    }
    subscriber.next(value);
    subscriber.complete();
  });
}
