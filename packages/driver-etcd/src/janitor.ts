import type { Backoff } from '@tooz/core/driver';
import type { ICompare, IRequestOp } from 'etcd3';
import { defer, retry, Subscription, timer } from 'rxjs';
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
  private readonly running = new Subscription();

  constructor(
    private readonly rpc: EtcdRpc,
    private readonly backoff: () => Backoff,
  ) {}

  /** Runs `cleanup` until it succeeds (or its lease is gone, which did the job), then `done`. */
  run(cleanup: Cleanup, done?: () => void): void {
    if (this.running.closed) return;
    const backoff = this.backoff();
    const request = { compare: cleanup.compare ?? [], success: cleanup.operations, failure: cleanup.otherwise ?? [] };
    const attempt = defer(() =>
      this.rpc.txn(request, cleanup.what).catch((error: unknown) => {
        // Whatever hung on a lease that is gone went with it.
        if (!isLeaseGone(error instanceof Error ? (error.cause ?? error) : error)) throw error;
      }),
    );
    const work = attempt
      .pipe(retry({ delay: () => timer(backoff.next(), this.rpc.scheduler) }))
      .subscribe({ complete: () => done?.() });
    this.running.add(work);
    work.add(() => this.running.remove(work));
  }

  close(): void {
    this.running.unsubscribe();
  }
}
