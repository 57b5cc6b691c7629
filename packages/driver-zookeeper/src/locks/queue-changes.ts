import type { LockChange } from '@tooz/core/driver';
import { Exception } from 'node-zookeeper-client';
import { Observable } from 'rxjs';
import { isConnectionFailure, toToozError, zkCode } from '../errors.js';
import type { ZkContext } from '../session.js';
import type { Watcher } from '../zk/client.js';
import { Rereader } from '../zk/rereader.js';
import { inQueueOrder } from '../keys.js';

/**
 * Changes of a lock's holder, from a child watch on its queue. ZooKeeper
 * watches fire once, so each event re-reads the children with a new watch
 * and compares the head of the queue with the one seen before: a change
 * between two watches is never missed, only merged. The first read reports
 * the current holder, which spares watchers the race between their own read
 * and this one. A queue that does not exist yet is watched for creation.
 * After a reconnection or a new session: `resync`, and the watch is re-armed.
 */
export function queueChanges(ctx: ZkContext, queue: string): Observable<LockChange> {
  return new Observable<LockChange>((subscriber) => {
    let closed = false;
    let head: string | null | undefined;
    const watcher: Watcher = () => rereader.request();

    const report = async (next: string | null): Promise<void> => {
      if (next === head) return;
      const previous = head;
      head = next;
      if (previous) subscriber.next({ type: 'released' });
      if (next === null) return;
      try {
        const { data } = await ctx.connection.client.getData(`${queue}/${next}`);
        if (!closed && head === next) subscriber.next({ type: 'acquired', holder: data.toString('utf8') });
      } catch {
        // Gone already: the child watch reports what replaced it.
      }
    };

    const readOnce = async (): Promise<void> => {
      const client = ctx.connection.client;
      try {
        const { children } = await client.getChildren(queue, watcher);
        await report(inQueueOrder(children)[0] ?? null);
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) {
          await report(null);
          // exists() leaves a watch for the queue's creation; if it appeared meanwhile, read again.
          if (await client.exists(queue, watcher).catch(() => null)) rereader.request();
          return;
        }
        // A lost connection re-arms through recovered$; anything else is final.
        if (!isConnectionFailure(error)) subscriber.error(toToozError(error, queue));
      }
    };

    const rereader = new Rereader(readOnce);

    const recoveries = ctx.connection.recovered$.subscribe(() => {
      subscriber.next({ type: 'resync' });
      rereader.request();
    });
    rereader.request();
    return () => {
      closed = true;
      rereader.close();
      recoveries.unsubscribe();
    };
  });
}
