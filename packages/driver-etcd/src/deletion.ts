import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { KeyRange } from './keys.js';
import type { WatchHub } from './watch-hub.js';

/**
 * How long a hold goes without a watch of its own. Most locks are released
 * sooner, and a watch costs the client two decoded events per hold; a
 * deletion within this window is still reported, once the watch is up.
 */
export const LATE_WATCH_MS = 250;

/**
 * Emits once `key` is deleted by someone else (a broken lock, an operator,
 * a lease revoked elsewhere), through the shared watch on `range`. When the
 * prefix is already watched (leader$, a group view, an earlier hold) it
 * listens at once; otherwise it opens the watch only after LATE_WATCH_MS.
 * `confirmedAt` is a revision at which the key existed: a watch that starts
 * later asks `exists()` once, so a deletion in between is not missed.
 */
export function deletion$(
  hub: WatchHub,
  range: KeyRange,
  key: Buffer,
  confirmedAt: bigint,
  exists: () => Promise<boolean>,
  scheduler: SchedulerLike,
): Observable<void> {
  return new Observable<void>((subscriber) => {
    let retry: Subscription | undefined;
    let signals: Subscription | undefined;
    let gone = false;
    const found = () => {
      if (gone) return;
      gone = true;
      subscriber.next();
    };
    const verify = (delay: number) => {
      exists().then(
        (present) => {
          if (!present) found();
        },
        // Unreachable: the session's own signals cover that; look again once it answers.
        () => {
          if (!subscriber.closed) retry = scheduler.schedule(() => verify(Math.min(delay * 2, 2_000)), delay);
        },
      );
    };
    const listen = () => {
      signals = hub.watch(range).signals$.subscribe((signal) => {
        if (signal.type === 'ready') {
          if (signal.since > confirmedAt) verify(100);
        } else if (signal.type === 'events') {
          for (const event of signal.events) {
            // Names are reused: only a deletion after the hold began is this hold's.
            if (event.type === 'Delete' && event.kv.key.equals(key) && BigInt(event.kv.mod_revision) > confirmedAt) {
              return found();
            }
          }
        }
      });
    };
    const late = hub.existing(range) ? undefined : scheduler.schedule(listen, LATE_WATCH_MS);
    if (!late) listen();
    return () => {
      late?.unsubscribe();
      retry?.unsubscribe();
      signals?.unsubscribe();
    };
  });
}
