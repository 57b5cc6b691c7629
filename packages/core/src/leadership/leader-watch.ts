import {
  defer,
  distinctUntilChanged,
  EMPTY,
  filter,
  interval,
  map,
  merge,
  type Observable,
  of,
  retry,
  switchMap,
  takeUntil,
  throwError,
  timer,
} from 'rxjs';
import { isRetryable } from '../errors/errors.js';
import { call } from '../internal/call.js';
import type { CoreContext } from '../internal/context.js';
import type { MemberId } from '../ids.js';
import type { LockBackend, LockKey } from '../spi/locks.js';

/**
 * Who holds a leader seat, for anyone: the holder is read once, then on every
 * change the backend pushes, after every reconnection (changes may have
 * been missed while away), and on backends without push every poll interval.
 * A read that fails for a reason worth retrying (the connection dropped) is
 * retried with backoff, and never ends the stream: a watcher outlives a
 * server restart.
 */
export function leaderWatch(ctx: CoreContext, backend: LockBackend, key: LockKey): Observable<MemberId | null> {
  return defer(() => {
    const { retryDelay, maxRetryDelay } = ctx.timings;
    const readHolder = () =>
      call(() => backend.holder(key)).pipe(
        map((holder) => holder?.memberId ?? null),
        retry({
          delay: (error: unknown, attempt: number) =>
            isRetryable(error)
              ? timer(Math.min(maxRetryDelay, retryDelay * 2 ** (attempt - 1)), ctx.scheduler)
              : throwError(() => error),
        }),
      );
    // merge() subscribes in argument order: the watch is in place before the
    // first read, so a change landing during that read is not lost.
    const poll = ctx.timings.pollInterval;
    const triggers = merge(
      backend.changes(key),
      ctx.connection.state$.pipe(filter((state) => state === 'reconnected')),
      Number.isFinite(poll) ? interval(poll, ctx.scheduler) : EMPTY,
      of(undefined),
    );
    return triggers.pipe(
      switchMap((change) =>
        change && typeof change === 'object' && change.type === 'acquired' ? of(change.holder) : readHolder(),
      ),
      distinctUntilChanged(),
      // Ends with the coordinator: a poll tick after close() would read from a closed session.
      takeUntil(ctx.closing$),
    );
  });
}
