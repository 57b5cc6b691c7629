import type { IEvent } from 'etcd3';
import { Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import type { KeyRange } from './keys.js';
import { ResumableWatch } from './resumable-watch.js';
import type { WatchStream } from './watch-stream.js';

export type WatchSignal =
  /** From now on every event after `since` reaches this subscriber. Repeated after a reset. */
  | { readonly type: 'ready'; readonly since: bigint; readonly late?: boolean }
  | { readonly type: 'events'; readonly events: readonly IEvent[] }
  /** Events were lost; a `ready` with a later `since` follows. */
  | { readonly type: 'reset' };

/**
 * One prefix watch, shared by everything in the session that cares about the
 * prefix (a group's events and its members' loss, a lock's holder changes
 * and its holders' loss). It stays open for a while after its last
 * subscriber leaves, so a lock taken and released in a loop does not create
 * and cancel a watch every time.
 */
export class SharedWatch {
  private readonly subject = new Subject<WatchSignal>();
  private watch: ResumableWatch | undefined;
  private since: bigint | undefined;
  /** The last revision delivered (`since`, then each event's): a late subscriber's `ready` starts there. */
  private delivered: bigint | undefined;
  private refs = 0;
  private linger: Subscription | undefined;
  private readyWaiters: Array<() => void> = [];
  private closed = false;
  private readEarly = false;

  readonly signals$: Observable<WatchSignal> = new Observable<WatchSignal>((subscriber) => {
    this.ref();
    const subscription = this.subject.subscribe(subscriber);
    // Not `since`: events up to `delivered` went out before this subscriber came, so it never sees them
    // (a hold confirmed at an older revision must then look for itself, see deletion$).
    if (this.delivered !== undefined) subscriber.next({ type: 'ready', since: this.delivered });
    return () => {
      subscription.unsubscribe();
      this.unref();
    };
  });

  constructor(
    private readonly stream: WatchStream,
    private readonly range: KeyRange,
    private readonly scheduler: SchedulerLike,
    private readonly lingerMs: number,
    private readonly onClosed: () => void,
  ) {}

  get isReady(): boolean {
    return this.since !== undefined;
  }

  /** A snapshot was read before the watch was in place: its next `ready` says so (`late`), so readers re-read. */
  noteEarlyRead(): void {
    if (this.since === undefined) this.readEarly = true;
  }

  /** Resolves once the watch is in place (at once if it is). */
  whenReady(): Promise<void> {
    if (this.since !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.linger?.unsubscribe();
    this.watch?.close();
    this.watch = undefined;
    for (const wake of this.readyWaiters.splice(0)) wake();
    this.subject.complete();
    this.onClosed();
  }

  private ref(): void {
    this.refs++;
    this.linger?.unsubscribe();
    this.linger = undefined;
    if (this.closed) return;
    this.watch ??= new ResumableWatch(
      this.stream,
      { key: this.range.start, end: this.range.end },
      {
        ready: (since) => {
          this.since = since;
          this.delivered = since;
          const late = this.readEarly;
          this.readEarly = false;
          this.subject.next({ type: 'ready', since, late });
          for (const wake of this.readyWaiters.splice(0)) wake();
        },
        events: (events) => {
          const last = events[events.length - 1];
          if (last && this.delivered !== undefined) this.delivered = BigInt(last.kv.mod_revision);
          this.subject.next({ type: 'events', events });
        },
        reset: () => {
          this.since = undefined;
          this.delivered = undefined;
          this.subject.next({ type: 'reset' });
        },
      },
    );
  }

  private unref(): void {
    if (--this.refs > 0 || this.closed) return;
    this.linger = this.scheduler.schedule(() => {
      if (this.refs === 0) this.close();
    }, this.lingerMs);
  }
}
