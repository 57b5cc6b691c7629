import { Event } from 'node-zookeeper-client';
import { Observable, type SchedulerLike, Subject } from 'rxjs';
import type { Watcher, ZkClient } from '../zk/client.js';
import { isSessionGone } from '../zk/errors.js';
import { RETRY_PAUSE } from '../zk/retry.js';

/**
 * A watch on a node this session owns (a member node): its deletion by
 * anyone else means the membership is gone. One-shot ZooKeeper watches are
 * re-armed on every other event.
 */
export class OwnNodeWatch {
  private gone = false;
  private stopped = false;
  private readonly deleted = new Subject<void>();
  readonly lost$ = new Observable<void>((subscriber) => {
    if (this.gone) subscriber.next();
    return this.deleted.subscribe(subscriber);
  });

  readonly watcher: Watcher = (event) => {
    if (this.stopped) return;
    if (event.getType() === Event.NODE_DELETED) return this.markGone();
    void this.arm();
  };

  constructor(
    private readonly client: ZkClient,
    private readonly path: string,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Arms (or re-arms) the watch; a node already gone counts as deleted. Resolves once the server answered. */
  arm(): Promise<void> {
    if (this.stopped || this.client.isAbandoned) return Promise.resolve();
    return this.client.exists(this.path, this.watcher).then(
      (stat) => {
        if (!stat) this.markGone();
      },
      (error: unknown) => {
        // A lost session is reported by core; a lost connection leaves no watch, so arm again.
        if (!this.stopped && !isSessionGone(error)) this.scheduler.schedule(() => void this.arm(), RETRY_PAUSE);
      },
    );
  }

  /** Our own leave is not a loss. */
  stop(): void {
    this.stopped = true;
  }

  markGone(): void {
    if (this.gone || this.stopped) return;
    this.gone = true;
    this.deleted.next();
  }
}
