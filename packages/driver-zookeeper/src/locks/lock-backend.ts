import type { LockBackend, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core';
import { Exception } from 'node-zookeeper-client';
import { Observable } from 'rxjs';
import type { ZkContext } from '../context.js';
import { zxid } from '../zk/client.js';
import { toToozError, zkCode } from '../zk/errors.js';
import { removeOwnNode } from '../zk/retry.js';
import { inQueueOrder } from './contenders.js';
import { Contender, type ZkLockHandle } from './contender.js';
import { queueChanges } from './queue-changes.js';

/** Bound on re-reads when the head of a queue vanishes between two requests. */
const READ_ATTEMPTS = 5;

/** Locks and leader seats: one fair queue of contender nodes each (see Contender). */
export function lockBackend(ctx: ZkContext): LockBackend {
  const { connection, layout, scheduler } = ctx;

  /** The head of the queue with its data and stat, or null when nobody holds it. */
  async function head(key: LockKey): Promise<{ path: string; memberId: string; token: bigint } | null> {
    const queue = layout.queue(key);
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const client = connection.client;
      let children: string[];
      try {
        ({ children } = await client.getChildren(queue));
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) return null;
        throw toToozError(error, queue);
      }
      const first = inQueueOrder(children)[0];
      if (first === undefined) return null;
      const path = `${queue}/${first}`;
      try {
        const { data, stat } = await client.getData(path);
        return { path, memberId: data.toString('utf8'), token: zxid(stat.czxid) };
      } catch (error) {
        if (zkCode(error) !== Exception.NO_NODE) throw toToozError(error, path);
      }
    }
    throw toToozError(new Error('the head of the lock queue kept changing'), queue);
  }

  return {
    tryAcquire: (key) =>
      new Observable<TryAcquireResult>((subscriber) => {
        const contender = new Contender(
          ctx,
          layout.queue(key),
          'try',
          (outcome) => {
            subscriber.next(outcome.held ? { acquired: true, handle: outcome.handle } : { acquired: false });
            subscriber.complete();
          },
          (error) => subscriber.error(error),
        );
        contender.start();
        return () => contender.cancel();
      }),

    acquireQueued: (key) =>
      new Observable<LockHandle>((subscriber) => {
        const contender = new Contender(
          ctx,
          layout.queue(key),
          'wait',
          (outcome) => {
            if (!outcome.held) return;
            subscriber.next(outcome.handle);
            subscriber.complete();
          },
          (error) => subscriber.error(error),
        );
        contender.start();
        // Unsubscribing before the grant deletes the contender node.
        return () => contender.cancel();
      }),

    release: (_key, handle) => {
      const { client, path, forget } = handle as ZkLockHandle;
      forget();
      return removeOwnNode(connection, client, path, scheduler);
    },

    holder: async (key): Promise<LockHolder | null> => {
      const current = await head(key);
      return current && { memberId: current.memberId, token: current.token };
    },

    changes: (key) => queueChanges(ctx, layout.queue(key)),

    forceRelease: async (key) => {
      for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        const current = await head(key);
        if (!current) return false;
        try {
          await connection.client.remove(current.path);
          return true;
        } catch (error) {
          if (zkCode(error) !== Exception.NO_NODE) throw toToozError(error, current.path);
        }
      }
      return false;
    },
  };
}
