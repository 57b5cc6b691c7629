import { type LockHandle, SweptMap } from '@tooz/core/driver';
import type { ICompare } from 'etcd3';
import { deletion$ } from './deletion.js';
import { rangeOf } from './keys.js';
import type { EtcdContext } from './session.js';

/** One queue entry of this session: its key, the attempt that writes it, and its reusable name's slot. */
export interface QueueEntry {
  readonly key: Buffer;
  /** `<lease>_<n>`, unique: names a tombstone for this attempt only. */
  readonly attempt: string;
  readonly leaseId: string;
  /** Gives the name back once the entry is known to be gone (or never written). */
  readonly free: () => void;
}

/** A hold of a fair queue: its entry is first in line. */
export interface QueueHold extends LockHandle {
  readonly mode: 'queue';
  readonly entry: QueueEntry;
}

/**
 * Names for queue entries, reused. etcd keeps an index entry for every key
 * ever written until the history is compacted, and a queue read ranges over
 * all of them, deleted or not; so a name per attempt would make each acquire
 * slower than the last on a busy lock. A session takes the lowest slot that
 * none of its entries under the prefix uses, and frees it once the entry is
 * known to be gone (as etcd's own recipe keys entries by lease).
 */
export class EntrySlots {
  /** By lease and prefix; a SweptMap, since a lock's slots are taken and freed on every acquire. */
  private readonly busy = new SweptMap<string, SlotSet>((slots) => slots.count === 0);

  /** A slot for a new entry; `free` once that entry was never written or has been deleted. */
  take(prefix: Buffer, leaseHex: string): { readonly name: Buffer; readonly free: () => void } {
    const slots = this.busy.use(`${leaseHex}|${prefix.toString('base64')}`, newSlotSet);
    const slot = slots.take();
    let freed = false;
    return {
      name: Buffer.concat([prefix, Buffer.from(`${leaseHex}_${slot.toString(16)}`)]),
      free: () => {
        if (freed) return;
        freed = true;
        if (slots.free(slot)) this.busy.idled();
      },
    };
  }
}

/** The slots in use under one prefix: an array of flags, not a Set (which would reallocate as it empties). */
class SlotSet {
  private readonly taken: boolean[] = [];
  count = 0;

  /** The lowest free slot, now taken. */
  take(): number {
    let slot = 0;
    while (this.taken[slot]) slot++;
    this.taken[slot] = true;
    this.count++;
    return slot;
  }

  /** Frees `slot`; true if no slot is taken any more. */
  free(slot: number): boolean {
    this.taken[slot] = false;
    return --this.count === 0;
  }
}

const newSlotSet = () => new SlotSet();

/** A new entry under `prefix`, on the session lease (throws, retryably, while a lost lease is replaced). */
export function newEntry(ctx: EtcdContext, prefix: Buffer): QueueEntry {
  const lease = ctx.lease.id;
  const slot = ctx.slots.take(prefix, lease.hex);
  return {
    key: slot.name,
    attempt: `${lease.hex}_${ctx.nextAttempt().toString(16)}`,
    leaseId: lease.id,
    free: slot.free,
  };
}

/**
 * Held: the fencing token is the entry's create revision; loss is its
 * deletion, seen on the lock's shared watch. `sentAt`: the send of the
 * request that found the entry first in line.
 */
export function queueHold(
  ctx: EtcdContext,
  prefix: Buffer,
  entry: QueueEntry,
  token: bigint,
  confirmedAt: bigint,
  sentAt?: number,
): QueueHold {
  const { key } = entry;
  const exists = async () => {
    const response = await ctx.rpc.range({ key }, 'lock check');
    return response.kvs.some((kv) => BigInt(kv.create_revision) === token);
  };
  const lost$ = deletion$(ctx, rangeOf(prefix), key, confirmedAt, exists);
  return { mode: 'queue', token, entry, lost$, ...(sentAt === undefined ? {} : { sentAt }) };
}

/** The entry exists, written by this very attempt. */
export function entryIs(key: Buffer, createRevision: bigint): ICompare {
  return { key, target: 'Create', result: 'Equal', create_revision: createRevision.toString() };
}

/** Removes an entry we know we wrote (retried until done). */
export function removeEntry(ctx: EtcdContext, entry: QueueEntry): void {
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
export function abandonEntry(ctx: EtcdContext, entry: QueueEntry): void {
  ctx.janitor.run(
    {
      operations: [
        { request_put: { key: ctx.keys.tombstone(entry.attempt), value: Buffer.alloc(0), lease: entry.leaseId } },
        { request_delete_range: { key: entry.key } },
      ],
      what: 'lock entry cleanup',
    },
    entry.free,
  );
}

/** Required by every entry-creating transaction: see abandonEntry. */
export function notAbandoned(ctx: EtcdContext, entry: QueueEntry): ICompare {
  return { key: ctx.keys.tombstone(entry.attempt), target: 'Create', result: 'Equal', create_revision: '0' };
}
