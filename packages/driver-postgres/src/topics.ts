import { type GroupChange, type LockChange, PeriodicTask, SharedWatches } from '@tooz/core/driver';
import { Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import type { PostgresKeys } from './keys.js';
import { groupOfTopic, lockOfTopic, parseNotice } from './notices.js';

interface LockWatch {
  readonly subscriber: Subscriber<LockChange>;
  readonly lockKey: string;
  /**
   * `lockMode: 'tooz'`: the id of Python tooz's key for the lock, swept too:
   * a Python holder (or another name sharing the key) sends no notice when
   * it lets go, so the sweep is what wakes its waiters.
   */
  readonly toozKey: string | undefined;
  /** What the last notice or sweep said; undefined until either spoke. */
  held: boolean | undefined;
}

interface GroupWatch {
  readonly subscriber: Subscriber<GroupChange>;
  readonly groupId: Buffer;
}

/** Runs the sweep's statement: which of `keys` no session holds (dead members of `groups` are deleted on the way). */
export type SweepQuery = (groups: Buffer[], keys: string[]) => Promise<string[]>;

/**
 * Routes the namespace's notifications to the streams watching one lock or
 * one group (one stream per topic, shared). A session that ends without a
 * word (its process killed, its connection cut) sends no notice: while
 * anything is watched, a sweep every `livenessInterval` deletes watched
 * members whose session is gone (which notifies their leave) and reports
 * watched locks that no session holds any more as released. One statement
 * per sweep for everything this coordinator watches.
 */
export class Topics {
  private readonly locks = new Map<string, LockWatch>();
  private readonly groups = new Map<string, GroupWatch>();
  private readonly lockWatches = new SharedWatches<string, LockChange>((topic) =>
    this.watch(this.locks, topic, (subscriber) => {
      const { lockKey, tooz } = this.keys.lock(lockOfTopic(topic));
      return { subscriber, lockKey, toozKey: tooz?.id, held: undefined };
    }),
  );
  private readonly groupWatches = new SharedWatches<string, GroupChange>((topic) =>
    this.watch(this.groups, topic, (subscriber) => ({ subscriber, groupId: groupOfTopic(topic) })),
  );
  private readonly sweeper: PeriodicTask;

  constructor(
    scheduler: SchedulerLike,
    livenessInterval: number,
    private readonly keys: PostgresKeys,
    private readonly sweep: SweepQuery,
  ) {
    this.sweeper = new PeriodicTask(scheduler, livenessInterval, () => this.sweepOnce());
  }

  lockChanges(topic: string): Observable<LockChange> {
    return this.lockWatches.get(topic);
  }

  groupChanges(topic: string): Observable<GroupChange> {
    return this.groupWatches.get(topic);
  }

  stop(): void {
    this.sweeper.stop();
  }

  /** One NOTIFY payload from the namespace's channel. */
  dispatch(payload: string): void {
    const notice = parseNotice(payload);
    if (!notice) return;
    switch (notice.type) {
      case 'released':
      case 'acquired': {
        const watch = this.locks.get(notice.topic);
        if (!watch) return;
        watch.held = notice.type === 'acquired';
        watch.subscriber.next(
          notice.type === 'acquired' ? { type: 'acquired', holder: notice.holder } : { type: 'released' },
        );
        return;
      }
      default: {
        const watch = this.groups.get(notice.topic);
        if (!watch) return;
        if (notice.type === 'deleted') watch.subscriber.next({ type: 'deleted' });
        else if (notice.type === 'left') watch.subscriber.next({ type: 'left', memberId: notice.memberId });
        // Capabilities too large for a payload: core re-reads the group.
        else if (notice.capabilities === undefined) watch.subscriber.next({ type: 'resync' });
        else watch.subscriber.next({ type: notice.type, memberId: notice.memberId, capabilities: notice.capabilities });
      }
    }
  }

  /**
   * An attempt on the lock was just refused: someone holds it now. The next
   * sweep that finds it free then says `released`, even if the holder let go
   * without a notice before any sweep saw it held (a Python tooz holder in
   * `lockMode: 'tooz'` never sends one, and may hold for less than a sweep).
   */
  refused(topic: string): void {
    const watch = this.locks.get(topic);
    if (watch) watch.held = true;
  }

  /** Notifications may have been missed (the events connection was re-made): everyone re-reads. */
  resync(): void {
    for (const watch of [...this.locks.values()]) {
      watch.held = undefined;
      watch.subscriber.next({ type: 'resync' });
    }
    for (const watch of [...this.groups.values()]) watch.subscriber.next({ type: 'resync' });
  }

  private watch<T, W extends { readonly subscriber: Subscriber<T> }>(
    watches: Map<string, W>,
    topic: string,
    make: (subscriber: Subscriber<T>) => W,
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      const watch = make(subscriber);
      watches.set(topic, watch);
      this.sweeper.start();
      return () => {
        if (watches.get(topic) === watch) watches.delete(topic);
      };
    });
  }

  private async sweepOnce(): Promise<void> {
    if (this.locks.size === 0 && this.groups.size === 0) return this.sweeper.pause();
    const keys = new Set<string>();
    for (const watch of this.locks.values()) {
      keys.add(watch.lockKey);
      if (watch.toozKey !== undefined) keys.add(watch.toozKey);
    }
    const groups = [...this.groups.values()].map((watch) => watch.groupId);
    const free = new Set(await this.sweep(groups, [...keys]));
    // Keys no session holds now: those believed held were let go without a notice.
    for (const watch of [...this.locks.values()]) {
      if (!free.has(watch.lockKey) || (watch.toozKey !== undefined && !free.has(watch.toozKey))) {
        watch.held = true;
      } else if (watch.held !== false) {
        watch.held = false;
        watch.subscriber.next({ type: 'released' });
      }
    }
  }
}
