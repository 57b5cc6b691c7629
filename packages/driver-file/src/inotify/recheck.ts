import { type SchedulerLike, Subscription } from 'rxjs';

/** When the checks run, as fractions of the bound: early for the usual case, the last at the bound. */
const STEPS = [0.002, 0.01, 0.04, 0.15, 0.5, 1];

/**
 * After a descriptor of a lock file is closed (a holder died, or let go by
 * closing), inotify reports the close *before* the kernel drops the locks of
 * that descriptor (`__fput` notifies, then removes the locks). A look right
 * after the event may therefore still see the lock held; this looks again a
 * few times, until `check()` says it is settled or `within` ms have passed.
 * It is triggered by an event and bounded: not a poll.
 */
export function recheckAfterClose(scheduler: SchedulerLike, within: number, check: () => boolean): Subscription {
  const subscription = new Subscription();
  let step = 0;
  let elapsed = 0;
  const next = () => {
    const fraction = STEPS[step++];
    if (fraction === undefined || subscription.closed) return;
    const at = Math.max(1, Math.round(within * fraction));
    const delay = Math.max(1, at - elapsed);
    elapsed = Math.max(at, elapsed + delay);
    subscription.add(
      scheduler.schedule(() => {
        if (!check()) next();
      }, delay),
    );
  };
  next();
  return subscription;
}
