import { from, Observable, type ObservableInput, Subscription } from 'rxjs';
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
  return new Observable<T>((subscriber) =>
    // The teardown ends the driver's request when the caller leaves, or once the answer is in.
    subscribeCall(invoke, {
      next: (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      error: (error) => subscriber.error(error),
    }),
  );
}

/** What `subscribeCall` tells: the one result, or the failure (already wrapped as `call` wraps it). */
export interface CallObserver<T> {
  next(value: T): void;
  error(error: unknown): void;
}

/**
 * `call(invoke).subscribe(observer)` without the Observable in between: the
 * same result and errors, one subscription fewer on the lock path. The
 * observer hears exactly one of next or error, and nothing after the
 * returned subscription is unsubscribed (which, before the answer, abandons
 * the request).
 */
export function subscribeCall<T>(invoke: () => ObservableInput<T>, observer: CallObserver<T>): Subscription {
  let input: ObservableInput<T>;
  try {
    input = invoke();
  } catch (error) {
    observer.error(wrap(error));
    return Subscription.EMPTY;
  }
  let done = false;
  // Left to complete on its own after the answer: a queued acquire's teardown may give the lock back.
  const inner = from(input).subscribe({
    next: (value) => {
      if (done) return;
      done = true;
      observer.next(value);
    },
    error: (error: unknown) => {
      if (done) return;
      done = true;
      observer.error(wrap(error));
    },
    complete: () => {
      if (done) return;
      done = true;
      observer.error(new ConnectionError('The driver completed without a result'));
    },
  });
  return inner;
}

function wrap(error: unknown): unknown {
  return error instanceof ToozError ? error : new ConnectionError('Backend call failed', { cause: error });
}
