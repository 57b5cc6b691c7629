import type { LockBackend, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core';
import { Observable } from 'rxjs';
import { prefixEnd, rangeOf } from './keys.js';
import {
  abandonEntry,
  type EtcdLockHandle,
  entryIs,
  lockHandle,
  newEntry,
  notAbandoned,
  removeEntry,
} from './lock-handle.js';
import { lockChanges } from './lock-changes.js';
import { QueuedAcquire } from './queued-acquire.js';
import type { SessionContext } from './session-context.js';

/** Locks and leader seats: fair queues under `<ns>/locks/<name>/` and `<ns>/leaders/<group>/`. */
export function lockBackend(ctx: SessionContext): LockBackend {
  const { rpc, layout } = ctx;

  return {
    acquireQueued: (key: LockKey) =>
      new Observable<LockHandle>((subscriber) => {
        const run = new QueuedAcquire(ctx, layout.lockPrefix(key), subscriber);
        run.start();
        return () => run.abandon();
      }),

    /** Takes the lock only if nobody holds it or waits for it: one transaction, no entry left on refusal. */
    async tryAcquire(key: LockKey): Promise<TryAcquireResult> {
      const prefix = layout.lockPrefix(key);
      const entry = newEntry(ctx, prefix);
      let response: Awaited<ReturnType<typeof rpc.txn>>;
      try {
        response = await rpc.txn(
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
      if (response.succeeded) return { acquired: true, handle: lockHandle(ctx, prefix, entry, revision, revision) };
      if (written)
        return { acquired: true, handle: lockHandle(ctx, prefix, entry, BigInt(written.create_revision), revision) };
      entry.free();
      return { acquired: false };
    },

    async release(_key: LockKey, handle: LockHandle): Promise<boolean> {
      const { entry } = handle as EtcdLockHandle;
      try {
        const response = await rpc.deleteRange({ key: entry.key }, 'lock release');
        entry.free();
        return response.deleted !== '0';
      } catch (error) {
        // Our lease keeps the entry alive: it must go, or the lock stays taken.
        removeEntry(ctx, entry);
        throw error;
      }
    },

    async holder(key: LockKey): Promise<LockHolder | null> {
      const prefix = layout.lockPrefix(key);
      const response = await rpc.range(
        { key: prefix, range_end: prefixEnd(prefix), sort_target: 'Create', sort_order: 'Ascend', limit: 1 },
        'lock holder',
      );
      const kv = response.kvs[0];
      return kv ? { memberId: kv.value.toString('utf8'), token: BigInt(kv.create_revision) } : null;
    },

    changes: (key: LockKey) => lockChanges(ctx, rangeOf(layout.lockPrefix(key))),

    /** tooz's `break_`: deletes the current holder's entry; false if there was none (or it just let go). */
    async forceRelease(key: LockKey): Promise<boolean> {
      const prefix = layout.lockPrefix(key);
      const owner = await rpc.range(
        {
          key: prefix,
          range_end: prefixEnd(prefix),
          sort_target: 'Create',
          sort_order: 'Ascend',
          limit: 1,
          keys_only: true,
        },
        'lock break',
      );
      const kv = owner.kvs[0];
      if (!kv) return false;
      // Only that hold: a waiter that took over in between is not broken too.
      const response = await rpc.txn(
        {
          compare: [entryIs(kv.key, BigInt(kv.create_revision))],
          success: [{ request_delete_range: { key: kv.key } }],
        },
        'lock break',
      );
      return response.succeeded;
    },
  };
}
