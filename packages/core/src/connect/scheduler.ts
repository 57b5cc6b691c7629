import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * The default clock: RxJS's async scheduler for timers, but `now()` from the
 * monotonic clock, so TTL deadlines survive wall-clock jumps (NTP, suspend).
 */
class MonotonicScheduler implements SchedulerLike {
  // Read once: the getter is a native call, and now() runs several times per acquire.
  private readonly origin = performance.timeOrigin;

  now(): number {
    return this.origin + performance.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  }
}

/** The scheduler `connect()` uses unless given one: async timers, monotonic `now()`. */
export const monotonicScheduler: SchedulerLike = new MonotonicScheduler();
