import type { Leadership, LockLease } from '@tooz/core';
import { LockLostError } from '@tooz/core';
import { type MonoTypeOperatorFunction, Observable, type Subscription } from 'rxjs';
import type { HistoryRecorder } from './recorder.js';

function describeLoss(error: unknown): string {
  if (error instanceof LockLostError) return `lost (${error.reason})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Records the holds of a lock stream: `acquire` when a lease is emitted,
 * `lost` when its `state$` says lost or the stream errors, `release` when
 * the subscriber unsubscribes (recorded *before* the release is sent, so
 * the next holder's acquire is always later) or the stream completes
 * (`close()`). Put it right after `coordinator.lock(...)`.
 *
 * @example
 * coordinator.lock('invoice-42').pipe(recordLock(recorder), switchMap((lease) => work$(lease)));
 */
export function recordLock(recorder: HistoryRecorder): MonoTypeOperatorFunction<LockLease> {
  return (source) =>
    new Observable<LockLease>((subscriber) => {
      let lease: LockLease | undefined;
      let open = false;
      let state: Subscription | undefined;
      const end = (kind: 'lost' | 'release', detail?: string) => {
        if (!lease || !open) return;
        open = false;
        state?.unsubscribe();
        if (kind === 'lost') recorder.lost(lease.name, lease.fencingToken, detail);
        else recorder.released(lease.name, lease.fencingToken, detail);
      };
      const inner = source.subscribe({
        next: (value) => {
          end('release', 'a new lease replaced it');
          lease = value;
          open = true;
          recorder.acquired(value.name, value.fencingToken);
          state = value.state$.subscribe((current) => {
            if (current === 'lost') end('lost', 'state$ lost');
          });
          subscriber.next(value);
        },
        error: (error: unknown) => {
          end('lost', describeLoss(error));
          subscriber.error(error);
        },
        complete: () => {
          end('release', 'completed');
          subscriber.complete();
        },
      });
      return () => {
        end('release');
        inner.unsubscribe();
      };
    });
}

/**
 * Records a leadership's terms: `leader` with `leadership.term` when it
 * emits true, `not-leader` with the term that ended when it emits false
 * after true (or a new term starts without a false in between), and
 * `not-leader` when the subscriber unsubscribes while leading (recorded
 * before the seat is given up).
 *
 * @example
 * const leadership = coordinator.leadership('scheduler');
 * leadership.pipe(recordLeadership(recorder, leadership), whileLeader(() => schedule$)).subscribe();
 */
export function recordLeadership(recorder: HistoryRecorder, leadership: Leadership): MonoTypeOperatorFunction<boolean> {
  const name = leadership.groupId;
  return (source) =>
    new Observable<boolean>((subscriber) => {
      let term: bigint | undefined;
      let leading = false;
      const stop = (detail?: string) => {
        if (!leading) return;
        leading = false;
        recorder.stoppedLeading(name, term, detail);
        term = undefined;
      };
      const inner = source.subscribe({
        next: (value) => {
          if (value) {
            const current = leadership.term;
            if (leading && current !== term) stop('a new term began');
            if (!leading) {
              leading = true;
              term = current;
              recorder.leading(name, term);
            }
          } else {
            stop('told it does not lead');
          }
          subscriber.next(value);
        },
        error: (error: unknown) => {
          stop(describeLoss(error));
          subscriber.error(error);
        },
        complete: () => {
          stop('completed');
          subscriber.complete();
        },
      });
      return () => {
        stop('withdrew');
        inner.unsubscribe();
      };
    });
}
