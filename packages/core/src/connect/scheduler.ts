import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * The default clock: RxJS's async scheduler for timers, but `now()` from the
 * monotonic clock, so TTL deadlines survive wall-clock jumps (NTP, suspend).
 */
class MonotonicScheduler implements SchedulerLike {
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  }
}

export const monotonicScheduler: SchedulerLike = new MonotonicScheduler();
