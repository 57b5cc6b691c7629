import { type Observable, type SchedulerLike, Subject } from 'rxjs';
import type { Timer, TimerQueue } from './timer-queue.js';

/** One event-loop stall, as the watchdog measured it on the coordinator's clock. */
export interface Stall {
  /** Scheduler time at which the loop ran again. */
  readonly at: number;
  /** Milliseconds the watchdog's tick came later than it was due. */
  readonly lag: number;
}

/** What the watchdog tells about a stall: a Hold. */
export interface StallListener {
  onStall(lag: number): void;
}

/**
 * Measures event-loop lag while something is held, on the injected clock (so
 * it runs in virtual time), and tells every hold when a stall may have eaten
 * its safety margin. It ticks only while holds exist (and once after the
 * last ends): an idle coordinator keeps no timer, and a virtual-time test
 * that ends its holds ends.
 *
 * A tick is due every `interval` ms; one that comes `lag` ms late, beyond the
 * interval's own slack, is a stall. Overdue application timers run before
 * this one after a stall, which is why reads also check deadlines themselves.
 */
export class StallWatchdog {
  private readonly stalls = new Subject<Stall>();
  readonly stalls$: Observable<Stall> = this.stalls.asObservable();
  /** Holds in force: a count, not a set, as a set's churn costs more than the rest of a short hold. */
  private holds = 0;
  private tick: Timer | undefined;
  private dueAt = 0;

  /** `listeners`: what is told of a stall (the coordinator's held things, which tell their holds). */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly timers: TimerQueue,
    private readonly interval: number,
    private readonly listeners: Iterable<Partial<StallListener>>,
  ) {}

  /** A hold begins: the watchdog ticks while any is in force. */
  add(): void {
    this.holds++;
    if (!this.tick) this.arm();
  }

  /** The tick armed stays: it runs once more and stops there if nothing is held (re-arming per short hold costs more). */
  delete(): void {
    this.holds--;
  }

  stop(): void {
    this.tick?.unsubscribe();
    this.tick = undefined;
    this.holds = 0;
    this.stalls.complete();
  }

  private arm(): void {
    this.dueAt = this.scheduler.now() + this.interval;
    this.tick = this.timers.after(this.interval, () => this.onTick());
  }

  private onTick(): void {
    const now = this.scheduler.now();
    const lag = now - this.dueAt;
    this.tick = undefined;
    if (lag > this.interval) {
      this.stalls.next({ at: now, lag });
      for (const listener of [...this.listeners]) listener.onStall?.(lag);
    }
    if (this.holds > 0 && !this.tick) this.arm();
  }
}

/** Ticks often enough to see a stall that eats a tenth of the shortest TTL, and no more than every second. */
export function watchdogInterval(shortestTtl: number): number {
  return Math.max(5, Math.min(1_000, Math.floor(shortestTtl / 10)));
}
