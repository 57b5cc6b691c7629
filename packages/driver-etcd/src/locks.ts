import type { LockBackend, LockChange, LockHolder, LockKey, TryAcquireResult } from '@tooz/core/driver';
import type { ITxnResponse } from 'etcd3';
import { Observable } from 'rxjs';
import { prefixEnd, rangeOf } from './keys.js';
import { lockChanges } from './lock-changes.js';
import type { LockMode } from './options.js';
import {
  abandonEntry,
  entryIs,
  newEntry,
  notAbandoned,
  type QueueHold,
  queueHold,
  removeEntry,
} from './queue-entries.js';
import { QueuedAcquire } from './queued-acquire.js';
import type { EtcdContext } from './session.js';
import { type ToozHold, ToozLocks } from './tooz-locks.js';

/** A hold: a queue entry first in line, or (`lockMode: 'tooz'`) tooz's one lock key. */
export type EtcdLockHandle = QueueHold | ToozHold;

/**
 * Locks and leader seats: fair queues under `<ns>/locks/<name>/` and
 * `<ns>/leaders/<group>/`. In `lockMode: 'tooz'`, locks (not leader seats)
 * are taken on Python tooz's key instead (see ToozLocks).
 */
export class EtcdLocks implements LockBackend<EtcdLockHandle> {
  private readonly tooz: ToozLocks | undefined;

  constructor(
    private readonly ctx: EtcdContext,
    lockMode: LockMode,
  ) {
    this.tooz = lockMode === 'tooz' ? new ToozLocks(ctx) : undefined;
  }

  private toozFor(key: LockKey): ToozLocks | undefined {
    return key.kind === 'lock' ? this.tooz : undefined;
  }

  acquireQueued(key: LockKey): Observable<EtcdLockHandle> {
    const tooz = this.toozFor(key);
    if (tooz) return tooz.acquireQueued(key);
    return new Observable<QueueHold>((subscriber) => {
      const run = new QueuedAcquire(this.ctx, this.ctx.keys.lockPrefix(key), subscriber);
      run.start();
      return () => run.abandon();
    });
  }

  /** Takes the lock only if nobody holds it or waits for it: one transaction, no entry left on refusal. */
  async tryAcquire(key: LockKey): Promise<TryAcquireResult<EtcdLockHandle>> {
    const tooz = this.toozFor(key);
    if (tooz) return tooz.tryAcquire(key);
    const { ctx } = this;
    const prefix = ctx.keys.lockPrefix(key);
    const entry = newEntry(ctx, prefix);
    let response: ITxnResponse;
    try {
      response = await ctx.rpc.txn(
        {
          compare: [
            { key: prefix, range_end: prefixEnd(prefix), target: 'Create', result: 'Equal', create_revision: '0' },
            notAbandoned(ctx, entry),
          ],
          success: [{ request_put: { key: entry.key, value: ctx.memberBytes, lease: entry.leaseId } }],
          // A transport-level retry of a write that did land finds its own entry, first in line.
          failure: [{ request_range: { key: entry.key } }],
        },
        'lock acquire',
      );
    } catch (error) {
      abandonEntry(ctx, entry);
      throw error;
    }
    const revision = BigInt(response.header.revision);
    const written = response.responses[0]?.response_range?.kvs[0];
    if (response.succeeded) return { acquired: true, handle: queueHold(ctx, prefix, entry, revision, revision) };
    if (written) {
      return { acquired: true, handle: queueHold(ctx, prefix, entry, BigInt(written.create_revision), revision) };
    }
    entry.free();
    return { acquired: false };
  }

  async release(key: LockKey, handle: EtcdLockHandle): Promise<boolean> {
    if (handle.mode === 'tooz') return this.tooz ? this.tooz.release(key, handle) : false;
    const { entry } = handle;
    try {
      const response = await this.ctx.rpc.deleteRange({ key: entry.key }, 'lock release');
      entry.free();
      return response.deleted !== '0';
    } catch (error) {
      // Our lease keeps the entry alive: it must go, or the lock stays taken.
      removeEntry(this.ctx, entry);
      throw error;
    }
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const tooz = this.toozFor(key);
    if (tooz) return tooz.holder(key);
    const kv = await this.first(key, 'lock holder');
    return kv ? { memberId: kv.value.toString('utf8'), token: BigInt(kv.create_revision) } : null;
  }

  changes(key: LockKey): Observable<LockChange> {
    const tooz = this.toozFor(key);
    if (tooz) return tooz.changes(key);
    return lockChanges(this.ctx, rangeOf(this.ctx.keys.lockPrefix(key)));
  }

  /** tooz's `break_`: deletes the current holder's entry; false if there was none (or it just let go). */
  async forceRelease(key: LockKey): Promise<boolean> {
    const tooz = this.toozFor(key);
    if (tooz) return tooz.forceRelease(key);
    const kv = await this.first(key, 'lock break');
    if (!kv) return false;
    // Only that hold: a waiter that took over in between is not broken too.
    const response = await this.ctx.rpc.txn(
      { compare: [entryIs(kv.key, BigInt(kv.create_revision))], success: [{ request_delete_range: { key: kv.key } }] },
      'lock break',
    );
    return response.succeeded;
  }

  /** The entry first in line. */
  private async first(key: LockKey, what: string) {
    const prefix = this.ctx.keys.lockPrefix(key);
    const response = await this.ctx.rpc.range(
      { key: prefix, range_end: prefixEnd(prefix), sort_target: 'Create', sort_order: 'Ascend', limit: 1 },
      what,
    );
    return response.kvs[0];
  }
}
