import type { LockHandle } from '@tooz/core';
import type { ICompare } from 'etcd3';
import { deletion$ } from './deletion.js';
import { rangeOf, tombstoneOf } from './keys.js';
import type { SessionContext } from './session-context.js';

/** One queue entry of this session: its key, the attempt that writes it, and its reusable name's slot. */
export interface QueueEntry {
  readonly key: Buffer;
  /** `<lease>_<n>`, unique: names a tombstone for this attempt only. */
  readonly attempt: string;
  readonly leaseId: string;
  /** Gives the name back once the entry is known to be gone (or never written). */
  readonly free: () => void;
}

/** A hold: the queue entry that is first in line. */
export interface EtcdLockHandle extends LockHandle {
  readonly entry: QueueEntry;
}

/** A new entry under `prefix`, on the session lease (throws, retryably, while a lost lease is replaced). */
export function newEntry(ctx: SessionContext, prefix: Buffer): QueueEntry {
  const lease = ctx.lease.id;
  const slot = ctx.slots.take(prefix, lease.hex);
  return {
    key: slot.name,
    attempt: `${lease.hex}_${ctx.nextAttempt().toString(16)}`,
    leaseId: lease.id,
    free: slot.free,
  };
}

/** Held: the fencing token is the entry's create revision; loss is its deletion, seen on the lock's shared watch. */
export function lockHandle(
  ctx: SessionContext,
  prefix: Buffer,
  entry: QueueEntry,
  token: bigint,
  confirmedAt: bigint,
): EtcdLockHandle {
  const { key } = entry;
  const exists = async () => {
    const response = await ctx.rpc.range({ key }, 'lock check');
    return response.kvs.some((kv) => BigInt(kv.create_revision) === token);
  };
  return { token, entry, lost$: deletion$(ctx.hub, rangeOf(prefix), key, confirmedAt, exists, ctx.scheduler) };
}

/** The entry exists, written by this very attempt. */
export function entryIs(key: Buffer, createRevision: bigint): ICompare {
  return { key, target: 'Create', result: 'Equal', create_revision: createRevision.toString() };
}

/** Removes an entry we know we wrote (retried until done). */
export function removeEntry(ctx: SessionContext, entry: QueueEntry): void {
  ctx.janitor.run(
    { operations: [{ request_delete_range: { key: entry.key } }], what: 'lock entry cleanup' },
    entry.free,
  );
}

/**
 * Removes an entry whose creation timed out: it may exist, or still be on
 * its way. The attempt's tombstone (on the entry's lease, so it goes with it)
 * makes a late creation fail.
 */
export function abandonEntry(ctx: SessionContext, entry: QueueEntry): void {
  ctx.janitor.run(
    {
      operations: [
        { request_put: { key: tombstoneOf(ctx.layout, entry.attempt), value: Buffer.alloc(0), lease: entry.leaseId } },
        { request_delete_range: { key: entry.key } },
      ],
      what: 'lock entry cleanup',
    },
    entry.free,
  );
}

/** Required by every entry-creating transaction: see abandonEntry. */
export function notAbandoned(ctx: SessionContext, entry: QueueEntry): ICompare {
  return { key: tombstoneOf(ctx.layout, entry.attempt), target: 'Create', result: 'Equal', create_revision: '0' };
}
