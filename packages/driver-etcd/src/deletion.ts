import type { HoldLoss } from '@tooz/core/driver';
import { defer, filter, map, mergeMap, type Observable, retry, take, timer } from 'rxjs';
import type { KeyRange } from './keys.js';
import type { EtcdContext } from './session.js';

/**
 * How long a hold goes without a watch of its own. Most locks are released
 * sooner, and a watch costs the client two decoded events per hold; a
 * deletion within this window is still reported, once the watch is up.
 */
export const LATE_WATCH_MS = 250;

/**
 * A hold's `lost$`: `stolen` once its key is deleted by someone else (a
 * broken lock, an operator, a lease revoked elsewhere), seen on the shared
 * watch of `range`. Core subscribes only once it has the acquire's answer,
 * so the deletion may already have gone by: a watch that comes up after
 * `confirmedAt` asks `exists()` once (retried with backoff while etcd cannot
 * be reached; the session's own signals cover that). When the range is not
 * watched yet (no leader$, group view or earlier hold), the watch opens only
 * after LATE_WATCH_MS.
 */
export function deletion$(
  ctx: EtcdContext,
  range: KeyRange,
  key: Buffer,
  confirmedAt: bigint,
  exists: () => Promise<boolean>,
): Observable<HoldLoss> {
  const { watches, scheduler } = ctx;
  const watched = defer(() => {
    const signals = watches.watch(range);
    return watches.isOpen(range) ? signals : timer(LATE_WATCH_MS, scheduler).pipe(mergeMap(() => signals));
  });
  return watched.pipe(
    mergeMap((signal) => {
      if (signal.type === 'ready') return signal.since > confirmedAt ? gone(ctx, exists) : [];
      // Names are reused: only a deletion after the hold began is this hold's.
      const deleted =
        signal.type === 'events' &&
        signal.events.some(
          (e) => e.type === 'Delete' && e.kv.key.equals(key) && BigInt(e.kv.mod_revision) > confirmedAt,
        );
      return deleted ? [true] : [];
    }),
    take(1),
    map((): HoldLoss => ({ reason: 'stolen' })),
  );
}

/** Emits once if the key is gone. */
function gone(ctx: EtcdContext, exists: () => Promise<boolean>): Observable<boolean> {
  const backoff = ctx.backoff();
  return defer(exists).pipe(
    retry({ delay: () => timer(backoff.next(), ctx.scheduler) }),
    filter((present) => !present),
    map(() => true),
  );
}
