import { from, Observable, type ObservableInput } from 'rxjs';
import { ConnectionError } from '../errors/errors.js';
import { ToozError } from '../errors/tooz-error.js';

/**
 * Calls an SPI method lazily and takes its one result. Anything a driver
 * throws that is not a ToozError is treated as a transport failure, so a
 * client library's raw error never reaches the user unwrapped.
 * (One hand-written Observable rather than four operators: this is on every
 * lock's hot path.)
 */
export function call<T>(invoke: () => ObservableInput<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    let input: ObservableInput<T>;
    try {
      input = invoke();
    } catch (error) {
      subscriber.error(wrap(error));
      return;
    }
    let done = false;
    const inner = from(input).subscribe({
      next: (value) => {
        if (done) return;
        done = true;
        subscriber.next(value);
        subscriber.complete();
      },
      error: (error: unknown) => {
        if (!done) subscriber.error(wrap(error));
      },
      complete: () => {
        if (!done) subscriber.error(new ConnectionError('The driver completed without a result'));
      },
    });
    // A synchronous answer has already finished the inner subscription.
    if (done) inner.unsubscribe();
    return inner;
  });
}

function wrap(error: unknown): unknown {
  return error instanceof ToozError ? error : new ConnectionError('Backend call failed', { cause: error });
}
