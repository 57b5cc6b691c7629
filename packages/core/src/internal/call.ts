import { defer, from, type Observable, type ObservableInput, take, throwIfEmpty } from 'rxjs';
import { catchError } from 'rxjs/operators';
import { ConnectionError } from '../errors/errors.js';
import { ToozError } from '../errors/tooz-error.js';

/**
 * Calls an SPI method lazily and takes its one result. Anything a driver
 * throws that is not a ToozError is treated as a transport failure, so a
 * client library's raw error never reaches the user unwrapped.
 */
export function call<T>(invoke: () => ObservableInput<T>): Observable<T> {
  return defer(invoke).pipe(
    take(1),
    throwIfEmpty(() => new ConnectionError('The driver completed without a result')),
    catchError((error: unknown) => {
      throw error instanceof ToozError ? error : new ConnectionError('Backend call failed', { cause: error });
    }),
  );
}

export function toObservable<T>(input: ObservableInput<T>): Observable<T> {
  return from(input);
}
