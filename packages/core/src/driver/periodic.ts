import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * A task run every `every` ms while it is started, never two at once (a
 * tick that finds the previous run still going is skipped), with failures
 * left to the next tick. Drivers use it for the sweeps that find what the
 * backend does not announce (members whose session died without a word,
 * holders gone from a backend without push).
 */
export class PeriodicTask {
  private ticker: Subscription | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly every: number,
    private readonly run: () => PromiseLike<unknown>,
  ) {}

  /** Whether the task is ticking (started and not stopped). */
  get active(): boolean {
    return this.ticker !== undefined;
  }

  /** Starts ticking (no-op when already started or stopped for good). */
  start(): void {
    if (this.ticker || this.stopped) return;
    const tick = () => {
      this.ticker = this.scheduler.schedule(tick, this.every);
      this.runOnce();
    };
    this.ticker = this.scheduler.schedule(tick, this.every);
  }

  /** Runs now, outside the ticks (still never two at once). */
  runOnce(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const done = () => {
      this.running = false;
    };
    try {
      this.run().then(done, done);
    } catch {
      done();
    }
  }

  /** Stops ticking; `start()` may start it again. */
  pause(): void {
    this.ticker?.unsubscribe();
    this.ticker = undefined;
  }

  /** Stops for good. */
  stop(): void {
    this.stopped = true;
    this.pause();
  }
}
