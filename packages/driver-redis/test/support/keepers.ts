import { type Coordinator, LockLostError, MembershipLostError } from '@tooz/core';
import { type Observable, Subscription } from 'rxjs';
import type { Timeline } from './timeline.js';

/** Runs of one keeper at most: a keeper that keeps losing is a failure, not a loop. */
const MAX_RUNS = 5;

/**
 * Holds something for as long as the returned subscription lives, taking
 * it again after each loss, and records every grant, loss and other error
 * in the timeline: what a service does with a lock or a membership it must
 * keep. Any other error ends it (a group that no longer exists stays so).
 */
function keep<T>(
  timeline: Timeline,
  hold: string,
  take: () => Observable<T>,
  isLoss: (error: unknown) => boolean,
): Subscription {
  const kept = new Subscription();
  let runs = 0;
  const run = () => {
    if (kept.closed || ++runs > MAX_RUNS) return;
    kept.add(
      take().subscribe({
        next: () => timeline.add('grant', hold),
        error: (error: unknown) => {
          const lost = isLoss(error);
          timeline.add(lost ? 'loss' : 'error', hold, error);
          if (lost) run();
        },
      }),
    );
  };
  run();
  return kept;
}

export function keepLock(c: Coordinator, name: string, timeline: Timeline, hold = 'lock'): Subscription {
  return keep(
    timeline,
    hold,
    () => c.lock(name, { wait: 20_000 }),
    (e) => e instanceof LockLostError,
  );
}

export function keepMembership(c: Coordinator, group: string, timeline: Timeline, hold = 'membership'): Subscription {
  return keep(
    timeline,
    hold,
    () => c.group(group).join(),
    (e) => e instanceof MembershipLostError,
  );
}

/**
 * Stays a candidate; each new term (a new fencing token of the seat) is a
 * grant, and every term after the first means the previous one was lost.
 * `false` alone is not a loss: leadership reads false while the link is
 * suspended, and true again with the same term if the seat survived.
 */
export function keepLeadership(c: Coordinator, group: string, timeline: Timeline, hold = 'leadership'): Subscription {
  const leadership = c.leadership(group);
  let term: bigint | undefined;
  return leadership.subscribe({
    next: (leading) => {
      const now = leading ? leadership.term : undefined;
      if (now === undefined || now === term) return;
      if (term !== undefined) timeline.add('loss', hold, term);
      term = now;
      timeline.add('grant', hold, now);
    },
    error: (error: unknown) => timeline.add('error', hold, error),
  });
}
