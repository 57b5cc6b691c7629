import { type Backoff, LossSignal } from '@tooz/core/driver';
import { Event } from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import { isSessionGone } from '../errors.js';
import type { Watcher, ZkClient } from '../zk/client.js';

/**
 * A watch on a node this session owns (a member node): its deletion by
 * anyone else means the membership is gone. One-shot ZooKeeper watches are
 * re-armed on every other event.
 */
export class OwnNodeWatch {
  private stopped = false;
  private readonly loss = new LossSignal();
  readonly lost$ = this.loss.lost$;

  private readonly watcher: Watcher = (event) => {
    if (this.stopped) return;
    if (event.getType() === Event.NODE_DELETED) return this.markGone();
    void this.arm();
  };

  constructor(
    private readonly client: ZkClient,
    private readonly path: string,
    private readonly scheduler: SchedulerLike,
    private readonly backoff: Backoff,
  ) {}

  /** Arms (or re-arms) the watch; a node already gone counts as deleted. Resolves once the server answered. */
  arm(): Promise<void> {
    if (this.stopped || this.client.isAbandoned) return Promise.resolve();
    return this.client.exists(this.path, this.watcher).then(
      (stat) => {
        this.backoff.reset();
        if (!stat) this.markGone();
      },
      (error: unknown) => {
        // A lost session is reported by core; a lost connection leaves no watch, so arm again.
        if (!this.stopped && !isSessionGone(error)) this.scheduler.schedule(() => void this.arm(), this.backoff.next());
      },
    );
  }

  /** Our own leave is not a loss. */
  stop(): void {
    this.stopped = true;
  }

  private markGone(): void {
    if (!this.stopped) this.loss.stolen();
  }
}
