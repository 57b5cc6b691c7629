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

/** A call in progress: unsubscribing before the answer abandons it (and, for an Observable, ends the request). */
export interface CallSubscription {
  unsubscribe(): void;
}

/**
 * `call(invoke).subscribe(observer)` without the Observable in between: the
 * same result and errors, one subscription fewer on the lock path. The
 * observer hears exactly one of next or error, and nothing after the
 * returned subscription is unsubscribed (which, before the answer, abandons
 * the request). `finalize` runs once, after the observer has heard the
 * answer, or when the call is abandoned before it.
 *
 * A Promise (what most drivers return) is awaited directly, with no
 * Observable made for it: a Promise cannot be cancelled anyway.
 */
export function subscribeCall<T>(
  invoke: () => ObservableInput<T>,
  observer: CallObserver<T>,
  finalize?: () => void,
): CallSubscription {
  let input: ObservableInput<T>;
  try {
    input = invoke();
  } catch (error) {
    observer.error(wrap(error));
    finalize?.();
    return Subscription.EMPTY;
  }
  if (input instanceof Promise) return new PromiseCall(input, observer, finalize);
  let done = false;
  let pending = finalize;
  const finish = () => {
    const end = pending;
    pending = undefined;
    end?.();
  };
  // Left to complete on its own after the answer: a queued acquire's teardown may give the lock back.
  const inner = from(input).subscribe({
    next: (value) => {
      if (done) return;
      done = true;
      observer.next(value);
      finish();
    },
    error: (error: unknown) => {
      if (done) return;
      done = true;
      observer.error(wrap(error));
      finish();
    },
    complete: () => {
      if (done) return;
      done = true;
      observer.error(new ConnectionError('The driver completed without a result'));
      finish();
    },
  });
  // Abandoned before the answer (once answered, this finds nothing left to do).
  if (finalize) inner.add(finish);
  return inner;
}

/** One Promise's answer, told unless abandoned first. */
class PromiseCall<T> implements CallSubscription {
  private observer: CallObserver<T> | undefined;
  private finalize: (() => void) | undefined;

  constructor(promise: Promise<T>, observer: CallObserver<T>, finalize: (() => void) | undefined) {
    this.observer = observer;
    this.finalize = finalize;
    promise.then(
      (value) => this.settle(value, undefined, false),
      (error: unknown) => this.settle(undefined, error, true),
    );
  }

  unsubscribe(): void {
    if (!this.observer) return;
    this.observer = undefined;
    this.end();
  }

  private settle(value: T | undefined, error: unknown, failed: boolean): void {
    const observer = this.observer;
    if (!observer) return;
    this.observer = undefined;
    try {
      if (failed) observer.error(wrap(error));
      else observer.next(value as T);
    } catch (thrown) {
      // Thrown out of the promise chain, as RxJS reports an observer's error, not left as a rejection.
      queueMicrotask(() => {
        throw thrown;
      });
    }
    // Even after an observer threw: close() waits for this call to finish.
    this.end();
  }

  private end(): void {
    const finalize = this.finalize;
    this.finalize = undefined;
    finalize?.();
  }
}

function wrap(error: unknown): unknown {
  return error instanceof ToozError ? error : new ConnectionError('Backend call failed', { cause: error });
}
