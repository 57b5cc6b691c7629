import { SharedWatches, withDeadline } from '@tooz/core/driver';
import type { IEvent, IWatchCreateRequest } from 'etcd3';
import {
  filter,
  finalize,
  firstValueFrom,
  map,
  Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
  takeUntil,
} from 'rxjs';
import type { KeyRange } from './keys.js';
import type { WatchEntry, WatchStream } from './watch-stream.js';

export type WatchSignal =
  /** From now on every event after `since` reaches this subscriber. Repeated after a reset. */
  | { readonly type: 'ready'; readonly since: bigint; readonly late?: boolean }
  | { readonly type: 'events'; readonly events: readonly IEvent[] }
  /** Events were lost (compacted): the watch restarts from now and a `ready` with a later `since` follows. */
  | { readonly type: 'reset' };

export interface WatchTarget {
  readonly key: Buffer;
  /** Watch [key, end); a single key without it. */
  readonly end?: Buffer;
  /** Deliver events from this revision on (inclusive); from "now" without it. */
  readonly startRevision?: bigint;
  readonly onlyDeletes?: boolean;
}

/**
 * One etcd watch that survives reconnections without missing or doubling
 * events: it is re-created from the revision after the last one it
 * delivered. (etcd3's Watcher resumes from the revision of the last response
 * header: after a reconnect that is the creation header, the current
 * revision, so events still being replayed when the stream drops again were
 * skipped; and a catch-up batch cut at etcd's 1,000-revision limit carries
 * the current revision too.)
 */
export function resumableWatch(stream: WatchStream, target: WatchTarget): Observable<WatchSignal> {
  return new Observable<WatchSignal>((subscriber) => {
    let entry: WatchEntry | undefined;
    /** Every event up to here has been delivered. */
    let delivered: bigint | undefined;
    const request = (startRevision: bigint | undefined): IWatchCreateRequest => {
      const created: IWatchCreateRequest = { key: target.key, progress_notify: true };
      if (target.end) created.range_end = target.end;
      if (target.onlyDeletes) created.filters = ['Noput'];
      const from = delivered === undefined ? startRevision : delivered + 1n;
      if (from !== undefined) created.start_revision = from.toString();
      return created;
    };
    const attach = (startRevision: bigint | undefined) => {
      delivered = undefined;
      entry = stream.attach(() => request(startRevision), {
        created: (revision) => {
          if (delivered !== undefined) return;
          delivered = startRevision === undefined ? revision : startRevision - 1n;
          subscriber.next({ type: 'ready', since: delivered });
        },
        response: (response) => {
          const last = response.events.at(-1);
          // A progress notification: everything up to its revision has been sent.
          const revision = BigInt(last ? last.kv.mod_revision : response.header.revision);
          if (delivered !== undefined && revision > delivered) delivered = revision;
          if (last) subscriber.next({ type: 'events', events: response.events });
        },
        compacted: () => {
          if (entry) stream.detach(entry);
          subscriber.next({ type: 'reset' });
          if (!subscriber.closed) attach(undefined);
        },
      });
    };
    attach(target.startRevision);
    return () => {
      if (entry) stream.detach(entry);
    };
  });
}

const idOf = (range: KeyRange) => `${range.start.toString('base64')} ${range.end.toString('base64')}`;

/**
 * The session's prefix watches: one per range, however many parts of the
 * session listen (a group's events and its members' loss, a lock's holder
 * changes and its holders' loss). A watch lingers for a while after its last
 * listener leaves, so a lock taken and released in a loop does not create
 * and cancel a watch every time. A listener that comes once the watch is up
 * gets a `ready` of its own, since the last revision delivered: events up to
 * there went out before it came (a hold confirmed at an older revision must
 * then look for itself, see deletion.ts).
 */
export class PrefixWatches {
  private readonly shared: SharedWatches<string, WatchSignal>;
  /** Per open watch, once it is up: the last revision delivered. */
  private readonly delivered = new Map<string, bigint>();
  /** Watches whose range was read before they were up: their next `ready` says `late`. */
  private readonly early = new Set<string>();
  private readonly lingering = new Map<string, Subscription>();
  private readonly closing = new Subject<void>();

  constructor(
    stream: WatchStream,
    private readonly scheduler: SchedulerLike,
    private readonly lingerMs: number,
  ) {
    this.shared = new SharedWatches((id) => {
      const [start = '', end = ''] = id.split(' ');
      return resumableWatch(stream, { key: Buffer.from(start, 'base64'), end: Buffer.from(end, 'base64') }).pipe(
        map((signal) => this.track(id, signal)),
        takeUntil(this.closing),
        finalize(() => {
          this.delivered.delete(id);
          this.early.delete(id);
        }),
      );
    });
  }

  watch(range: KeyRange): Observable<WatchSignal> {
    const id = idOf(range);
    return new Observable<WatchSignal>((subscriber) => {
      const shared = this.shared.get(id);
      const subscription = shared.subscribe(subscriber);
      this.lingering.get(id)?.unsubscribe();
      const delivered = this.delivered.get(id);
      if (delivered !== undefined) subscriber.next({ type: 'ready', since: delivered });
      return () => {
        if (!this.closing.closed) this.linger(id, shared);
        subscription.unsubscribe();
      };
    });
  }

  /** Whether a watch on `range` is open (or lingering). */
  isOpen(range: KeyRange): boolean {
    const id = idOf(range);
    for (const open of this.shared.keys()) if (open === id) return true;
    return false;
  }

  /**
   * Waits for an open watch on `range` to be up, but never longer than `ms`:
   * a read then goes ahead regardless, and the watch's `ready` says `late`
   * so that readers read again.
   */
  async settled(range: KeyRange, ms: number): Promise<void> {
    const id = idOf(range);
    if (!this.isOpen(range) || this.delivered.has(id)) return;
    const up = this.watch(range).pipe(filter((signal) => signal.type === 'ready'));
    try {
      await firstValueFrom(withDeadline(up, ms, this.scheduler, () => new Error('not up yet')));
    } catch {
      if (!this.delivered.has(id)) this.early.add(id);
    }
  }

  close(): void {
    this.closing.next();
    this.closing.complete();
    for (const keep of this.lingering.values()) keep.unsubscribe();
  }

  private track(id: string, signal: WatchSignal): WatchSignal {
    if (signal.type === 'ready') {
      this.delivered.set(id, signal.since);
      return this.early.delete(id) ? { ...signal, late: true } : signal;
    }
    if (signal.type === 'reset') this.delivered.delete(id);
    else if (this.delivered.has(id)) this.delivered.set(id, BigInt(signal.events.at(-1)?.kv.mod_revision ?? 0));
    return signal;
  }

  private linger(id: string, shared: Observable<WatchSignal>): void {
    const keep = shared.subscribe();
    keep.add(this.scheduler.schedule(() => keep.unsubscribe(), this.lingerMs));
    keep.add(() => {
      if (this.lingering.get(id) === keep) this.lingering.delete(id);
    });
    this.lingering.get(id)?.unsubscribe();
    this.lingering.set(id, keep);
  }
}
