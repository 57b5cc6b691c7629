import { from, Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { GroupBackend } from '../spi/groups.js';
import type { LockBackend } from '../spi/locks.js';
import { Telemetry } from './telemetry.js';

/**
 * Times the driver's request–answer calls for `roundtrip` events. Streams
 * (`changes`, `watch`) and the queued acquire (whose answer waits for the
 * lock) are passed through: they are not round trips. When nobody listens a
 * call costs one `wants` check more.
 */
export class RoundTrips {
  constructor(
    private readonly telemetry: Telemetry,
    private readonly scheduler: SchedulerLike,
    private readonly memberId: string,
  ) {}

  locks(backend: LockBackend): LockBackend {
    const timed: LockBackend = {
      tryAcquire: this.wrap('tryAcquire', backend, backend.tryAcquire),
      release: this.wrap('release', backend, backend.release),
      holder: this.wrap('holder', backend, backend.holder),
      changes: (key) => backend.changes(key),
    };
    if (backend.acquireQueued) timed.acquireQueued = backend.acquireQueued.bind(backend);
    if (backend.refresh) timed.refresh = this.wrap('refresh', backend, backend.refresh);
    if (backend.forceRelease) timed.forceRelease = this.wrap('forceRelease', backend, backend.forceRelease);
    return timed;
  }

  groups(backend: GroupBackend): GroupBackend {
    const timed: GroupBackend = {
      create: this.wrap('create', backend, backend.create),
      delete: this.wrap('delete', backend, backend.delete),
      list: this.wrap('list', backend, backend.list),
      join: this.wrap('join', backend, backend.join),
      leave: this.wrap('leave', backend, backend.leave),
      update: this.wrap('update', backend, backend.update),
      members: this.wrap('members', backend, backend.members),
      watch: (group) => backend.watch(group),
    };
    if (backend.refresh) timed.refresh = this.wrap('refresh', backend, backend.refresh);
    return timed;
  }

  private wrap<A extends unknown[], T>(
    operation: string,
    target: object,
    method: (...args: A) => ObservableInput<T>,
  ): (...args: A) => ObservableInput<T> {
    // Every SPI method takes at most three arguments: fixed parameters spare the hot path a rest array.
    const call = method as unknown as (this: object, a: unknown, b: unknown, c: unknown) => ObservableInput<T>;
    const timed = (a: unknown, b: unknown, c: unknown): ObservableInput<T> => {
      if (!this.telemetry.wants('roundtrip')) return call.call(target, a, b, c);
      // Core calls the SPI lazily, at the moment it subscribes: now is when the request goes out.
      const sentAt = this.scheduler.now();
      return this.timed(operation, sentAt, call.call(target, a, b, c));
    };
    return timed as unknown as (...args: A) => ObservableInput<T>;
  }

  private timed<T>(operation: string, sentAt: number, input: ObservableInput<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      let answered = false;
      const report = (error?: unknown) => {
        if (answered) return;
        answered = true;
        this.telemetry.emit({
          kind: 'roundtrip',
          memberId: this.memberId,
          operation,
          durationMs: this.scheduler.now() - sentAt,
          ...(error === undefined ? {} : { errorType: Telemetry.errorType(error) }),
        });
      };
      return from(input).subscribe({
        next: (value) => {
          report();
          subscriber.next(value);
        },
        error: (error: unknown) => {
          report(error);
          subscriber.error(error);
        },
        complete: () => {
          report();
          subscriber.complete();
        },
      });
    });
  }
}
