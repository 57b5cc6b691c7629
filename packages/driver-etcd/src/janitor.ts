import type { ICompare, IRequestOp } from 'etcd3';
import type { SchedulerLike, Subscription } from 'rxjs';
import { isLeaseGone } from './errors.js';
import type { EtcdRpc } from './rpc.js';

export interface Cleanup {
  /** Only if these still hold (e.g. the key's create revision is still the one we wrote). */
  readonly compare?: ICompare[];
  readonly operations: IRequestOp[];
  /** What to do instead when `compare` fails. */
  readonly otherwise?: IRequestOp[];
  readonly what: string;
}

/**
 * Deletes what this session must not leave behind (an abandoned queue entry,
 * a release or leave that failed in transport), retrying until it is done.
 * The session lease keeps its keys alive for as long as the coordinator
 * lives, so a leftover queue entry would block its lock for everyone:
 * "it will expire" does not apply here. Every cleanup is safe to repeat.
 */
export class Janitor {
  private readonly timers = new Set<Subscription>();
  private closed = false;

  constructor(
    private readonly rpc: EtcdRpc,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Runs `cleanup` until it succeeds (or its lease is gone, which did the job), then `done`. */
  run(cleanup: Cleanup, done?: () => void): void {
    this.attempt(cleanup, done, 100);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) timer.unsubscribe();
    this.timers.clear();
  }

  private attempt(cleanup: Cleanup, done: (() => void) | undefined, nextDelay: number): void {
    if (this.closed) return;
    this.rpc
      .txn(
        { compare: cleanup.compare ?? [], success: cleanup.operations, failure: cleanup.otherwise ?? [] },
        cleanup.what,
      )
      .then(
        () => done?.(),
        (error: unknown) => {
          // Whatever hung on a lease that is gone went with it.
          if (isLeaseGone(error instanceof Error ? (error.cause ?? error) : error)) return done?.();
          if (this.closed) return;
          const timer = this.scheduler.schedule(() => {
            this.timers.delete(timer);
            this.attempt(cleanup, done, Math.min(nextDelay * 2, 2_000));
          }, nextDelay);
          this.timers.add(timer);
        },
      );
  }
}
