import type { LockChange } from '@tooz/core/driver';
import type { IEvent, IKeyValue } from 'etcd3';
import { Observable, type Subscription } from 'rxjs';
import type { KeyRange } from './keys.js';
import type { EtcdContext } from './session.js';

interface Entry {
  readonly revision: bigint;
  readonly memberId: string;
}

/**
 * Who holds a lock, pushed: the lock's queue (snapshot, then the shared
 * prefix watch) is mirrored here, and a change of its first entry is a
 * change of holder. `released` when the holder's entry goes, `acquired` with
 * the next holder (already waiting in line, so no write happens at that
 * moment), `resync` when the watch lost history and the queue was re-read.
 * In `lockMode: 'tooz'` the range is the lock's one key, and its holder is
 * named by `holderOf` (a Python holder's value is not a member id).
 */
export function lockChanges(
  ctx: EtcdContext,
  range: KeyRange,
  holderOf: (kv: IKeyValue) => string = (kv) => kv.value.toString('utf8'),
): Observable<LockChange> {
  return new Observable<LockChange>((subscriber) => {
    let entries: Map<string, Entry> | undefined;
    let holder: Entry | undefined;
    let buffered: IEvent[] = [];
    let reads = 0;
    let retry: Subscription | undefined;
    let resynced = false;
    const backoff = ctx.backoff();

    const first = (): Entry | undefined => {
      let best: Entry | undefined;
      for (const entry of entries?.values() ?? []) if (!best || entry.revision < best.revision) best = entry;
      return best;
    };
    const publish = () => {
      const next = first();
      if (next?.revision === holder?.revision) return;
      if (holder) subscriber.next({ type: 'released' });
      holder = next;
      if (next) subscriber.next({ type: 'acquired', holder: next.memberId });
    };
    const apply = (events: readonly IEvent[], after: bigint) => {
      if (!entries) return;
      for (const { type, kv } of events) {
        if (BigInt(kv.mod_revision) <= after) continue;
        const id = kv.key.toString('base64');
        if (type === 'Delete') entries.delete(id);
        else entries.set(id, { revision: BigInt(kv.create_revision), memberId: holderOf(kv) });
      }
    };
    const read = () => {
      const attempt = ++reads;
      retry?.unsubscribe();
      ctx.rpc.range({ key: range.start, range_end: range.end }, 'lock holder').then(
        (response) => {
          if (attempt !== reads || subscriber.closed) return;
          backoff.reset();
          entries = new Map();
          for (const kv of response.kvs) {
            entries.set(kv.key.toString('base64'), { revision: BigInt(kv.create_revision), memberId: holderOf(kv) });
          }
          apply(buffered, BigInt(response.header.revision));
          buffered = [];
          if (resynced) subscriber.next({ type: 'resync' });
          resynced = false;
          publish();
        },
        () => {
          if (attempt !== reads || subscriber.closed) return;
          retry = ctx.scheduler.schedule(read, backoff.next());
        },
      );
    };

    const signals = ctx.watches.watch(range).subscribe((signal) => {
      switch (signal.type) {
        case 'ready':
          // The snapshot must come after the watch is in place, or a change in between would be lost.
          if (!entries) read();
          return;
        case 'reset':
          reads++;
          retry?.unsubscribe();
          entries = undefined;
          buffered = [];
          resynced = true;
          return;
        case 'events':
          if (!entries) buffered.push(...signal.events);
          else {
            apply(signal.events, -1n);
            publish();
          }
      }
    });
    return () => {
      reads++;
      retry?.unsubscribe();
      signals.unsubscribe();
    };
  });
}
