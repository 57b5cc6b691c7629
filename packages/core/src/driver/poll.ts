import { from, Observable, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';

/** Options of {@link poll}. */
export interface PollOptions<T> {
  /** Milliseconds between the end of one read and the start of the next. */
  readonly every: number;
  /** Clock for the waits: the driver context's scheduler, so virtual time drives it in tests. */
  readonly scheduler: SchedulerLike;
  /** Whether two reads are the same (default `Object.is`): only changes are emitted. */
  readonly equal?: (a: T, b: T) => boolean;
}

/**
 * Re-reads `read()` every `every` ms, one read at a time, and emits the
 * first result and every result that differs from the last one emitted.
 * A failed read is left to the next tick. Core polls for poll-notification
 * drivers itself; a driver uses this only for something of its own that
 * its backend does not push.
 */
export function poll<T>(read: () => ObservableInput<T>, options: PollOptions<T>): Observable<T> {
  const { every, scheduler } = options;
  const equal = options.equal ?? Object.is;
  return new Observable<T>((subscriber) => {
    let last: { value: T } | undefined;
    let inFlight: Subscription | undefined;
    let timer: Subscription | undefined;
    let closed = false;
    const settle = () => {
      inFlight = undefined;
    };
    const tick = () => {
      if (closed) return;
      timer = scheduler.schedule(tick, every);
      if (inFlight) return;
      let input: ObservableInput<T>;
      try {
        input = read();
      } catch {
        return;
      }
      let settled = false;
      const request = from(input).subscribe({
        next: (value) => {
          if (last && equal(last.value, value)) return;
          last = { value };
          subscriber.next(value);
        },
        error: () => {
          settled = true;
          settle();
        },
        complete: () => {
          settled = true;
          settle();
        },
      });
      if (!settled) inFlight = request;
    };
    tick();
    return () => {
      closed = true;
      timer?.unsubscribe();
      inFlight?.unsubscribe();
    };
  });
}
