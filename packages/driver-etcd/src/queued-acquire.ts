import { type Backoff, ConnectionError } from '@tooz/core/driver';
import type { IKeyValue, IRangeRequest, ITxnResponse } from 'etcd3';
import type { Subscriber, Subscription } from 'rxjs';
import { prefixEnd } from './keys.js';
import {
  abandonEntry,
  entryIs,
  newEntry,
  notAbandoned,
  type QueueEntry,
  type QueueHold,
  queueHold,
  removeEntry,
} from './queue-entries.js';
import type { EtcdContext } from './session.js';
import { resumableWatch } from './watches.js';

/** The entry created just before `revision` under `prefix`: the one to wait for. */
export function predecessorQuery(prefix: Buffer, revision: bigint): IRangeRequest {
  return {
    key: prefix,
    range_end: prefixEnd(prefix),
    max_create_revision: (revision - 1n).toString(),
    sort_target: 'Create',
    sort_order: 'Descend',
    limit: 1,
    keys_only: true,
  };
}

const firstKv = (response: ITxnResponse, index: number): IKeyValue | undefined =>
  response.responses[index]?.response_range?.kvs[0];

/**
 * etcd's fair lock (as in etcd's own concurrency package): an entry under
 * the lock's prefix, attached to the session lease; entries are served in
 * create-revision order, and each waiter watches only the entry just before
 * its own, so a release wakes exactly one waiter. The create revision is the
 * fencing token.
 *
 * One round trip when the lock is free: the entry is written and the entry
 * before it read in the same transaction. After a predecessor goes away the
 * waiter checks, in one transaction, that its own entry still exists (the
 * lease may have expired while the process was paused) and whether anything
 * older remains (a waiter in between may have given up).
 */
export class QueuedAcquire {
  private phase: 'enqueuing' | 'waiting' | 'checking' | 'done' = 'enqueuing';
  private entry: QueueEntry | undefined;
  private revision = 0n;
  private predecessor: Subscription | undefined;
  private retry: Subscription | undefined;
  private leaseLost: Subscription | undefined;
  private backoff: Backoff | undefined;
  /** When the request that may grant the hold was sent. */
  private sentAt: number;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly prefix: Buffer,
    private readonly subscriber: Subscriber<QueueHold>,
  ) {
    this.sentAt = ctx.scheduler.now();
  }

  start(): void {
    const { ctx, prefix } = this;
    let entry: QueueEntry;
    try {
      entry = newEntry(ctx, prefix);
    } catch (error) {
      return this.fail(error);
    }
    this.entry = entry;
    this.leaseLost = ctx.lease.lost$.subscribe(() =>
      this.fail(new ConnectionError('The session lease was lost while waiting for the lock')),
    );
    ctx.rpc
      .txn(
        {
          compare: [notAbandoned(ctx, entry)],
          success: [
            { request_put: { key: entry.key, value: ctx.memberBytes, lease: entry.leaseId, prev_kv: true } },
            {
              request_range: {
                key: prefix,
                range_end: prefixEnd(prefix),
                sort_target: 'Create',
                sort_order: 'Descend',
                limit: 2,
                keys_only: true,
              },
            },
          ],
        },
        'lock acquire',
      )
      .then(
        (response) => this.onEnqueued(response),
        (error: unknown) => {
          // It may have been written all the same.
          abandonEntry(ctx, entry);
          this.entry = undefined;
          this.fail(error);
        },
      );
  }

  /** Core gave up waiting (unsubscribed): the entry must not stay in the queue. */
  abandon(): void {
    if (this.phase === 'done') return;
    const enqueuing = this.phase === 'enqueuing';
    this.finish();
    // An entry still being written is removed when the answer arrives (onEnqueued).
    if (!enqueuing && this.entry) removeEntry(this.ctx, this.entry);
  }

  private onEnqueued(response: ITxnResponse): void {
    const entry = this.entry;
    if (!entry) return;
    if (this.phase === 'done') return removeEntry(this.ctx, entry);
    if (!response.succeeded) {
      this.entry = undefined;
      entry.free();
      return this.fail(new ConnectionError('The lock entry was abandoned before it was written'));
    }
    const previous = response.responses[0]?.response_put?.prev_kv;
    // A transport-level retry of this same transaction rewrote the entry: its place in line is the first write's.
    const rewritten = previous && previous.create_revision !== '0';
    this.revision = rewritten ? BigInt(previous.create_revision) : BigInt(response.header.revision);
    const [mine, before] = response.responses[1]?.response_range?.kvs ?? [];
    if (!mine || !mine.key.equals(entry.key)) return this.check();
    if (!before) return this.acquired(BigInt(response.header.revision));
    this.wait(before.key, BigInt(response.header.revision));
  }

  /** Waits for `key`, which existed at `revision`, to be deleted. */
  private wait(key: Buffer, revision: bigint): void {
    this.phase = 'waiting';
    this.predecessor?.unsubscribe();
    this.predecessor = resumableWatch(this.ctx.stream, {
      key,
      startRevision: revision + 1n,
      onlyDeletes: true,
    }).subscribe((signal) => {
      if (signal.type !== 'ready') this.check();
    });
  }

  private check(): void {
    const entry = this.entry;
    if (this.phase === 'done' || this.phase === 'checking' || !entry) return;
    this.phase = 'checking';
    const predecessor = this.predecessor;
    this.predecessor = undefined;
    const sentAt = this.ctx.scheduler.now();
    const checked = this.ctx.rpc.txn(
      {
        compare: [entryIs(entry.key, this.revision)],
        success: [{ request_range: predecessorQuery(this.prefix, this.revision) }],
      },
      'lock check',
    );
    // Closed once the check has answered: the check is what a hand-off waits for, so it goes out first.
    const settle = () => predecessor?.unsubscribe();
    checked.then(
      (response) => {
        settle();
        if (this.phase !== 'checking') return;
        this.backoff?.reset();
        this.sentAt = sentAt;
        if (!response.succeeded) {
          return this.fail(new ConnectionError('The lock entry vanished while waiting (session lease lost?)'));
        }
        const before = firstKv(response, 0);
        if (before) this.wait(before.key, BigInt(response.header.revision));
        else this.acquired(BigInt(response.header.revision));
      },
      () => {
        settle();
        if (this.phase !== 'checking') return;
        // The entry keeps our place: look again after a pause instead of giving it up.
        this.phase = 'waiting';
        this.backoff ??= this.ctx.backoff();
        this.retry = this.ctx.scheduler.schedule(() => this.check(), this.backoff.next());
      },
    );
  }

  private acquired(confirmedAt: bigint): void {
    const entry = this.entry;
    if (!entry) return;
    this.finish();
    this.subscriber.next(queueHold(this.ctx, this.prefix, entry, this.revision, confirmedAt, this.sentAt));
    this.subscriber.complete();
  }

  private fail(error: unknown): void {
    if (this.phase === 'done') return;
    const entry = this.phase === 'enqueuing' ? undefined : this.entry;
    this.finish();
    if (entry) removeEntry(this.ctx, entry);
    this.subscriber.error(error);
  }

  private finish(): void {
    this.phase = 'done';
    this.predecessor?.unsubscribe();
    this.predecessor = undefined;
    this.retry?.unsubscribe();
    this.leaseLost?.unsubscribe();
  }
}
