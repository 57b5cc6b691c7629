import type { LockBackend, LockChange, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core/driver';
import { Exception } from 'node-zookeeper-client';
import { Observable } from 'rxjs';
import { toToozError, zkCode } from './errors.js';
import { Contender, type Departures, type Outcome } from './locks/contender.js';
import { inQueueOrder } from './keys.js';
import { queueChanges } from './locks/queue-changes.js';
import type { ZkContext } from './session.js';
import { type ZkClient, zxid } from './zk/client.js';
import { removeOwnNode } from './zk/retry.js';

export interface ZookeeperLockHandle extends LockHandle {
  /** The contender node that holds the lock. */
  readonly path: string;
  /** The session that created it: once that session is gone, so is the node. */
  readonly client: ZkClient;
  /** Called on release: our own delete is no loss, and the node's watch need not be re-armed. */
  readonly forget: () => void;
}

/** Bound on re-reads when the head of a queue vanishes between two requests. */
const READ_ATTEMPTS = 5;

/** Locks and leader seats: one fair queue of contender nodes each (see Contender). */
export class ZookeeperLocks implements LockBackend<ZookeeperLockHandle> {
  private readonly departures: Departures = new Map();

  constructor(private readonly ctx: ZkContext) {}

  tryAcquire(key: LockKey): Observable<TryAcquireResult<ZookeeperLockHandle>> {
    return this.contend(key, 'try', (outcome) =>
      outcome.held ? { acquired: true, handle: outcome.handle } : { acquired: false },
    );
  }

  acquireQueued(key: LockKey): Observable<ZookeeperLockHandle> {
    return this.contend(key, 'wait', (outcome) => (outcome.held ? outcome.handle : undefined));
  }

  release(_key: LockKey, { client, path, forget }: ZookeeperLockHandle): Promise<boolean> {
    forget();
    return removeOwnNode(this.ctx, client, path);
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const current = await this.head(key);
    return current && { memberId: current.memberId, token: current.token };
  }

  changes(key: LockKey): Observable<LockChange> {
    return queueChanges(this.ctx, this.ctx.keys.queue(key));
  }

  async forceRelease(key: LockKey): Promise<boolean> {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const current = await this.head(key);
      if (!current) return false;
      try {
        await this.ctx.connection.client.remove(current.path);
        return true;
      } catch (error) {
        if (zkCode(error) !== Exception.NO_NODE) throw toToozError(error, current.path);
      }
    }
    return false;
  }

  /** One contender's attempt; unsubscribing before the grant deletes its node. */
  private contend<T>(key: LockKey, mode: 'wait' | 'try', result: (outcome: Outcome) => T | undefined): Observable<T> {
    return new Observable<T>((subscriber) => {
      const settle = (outcome: Outcome) => {
        const value = result(outcome);
        if (value === undefined) return;
        subscriber.next(value);
        subscriber.complete();
      };
      const queue = this.ctx.keys.queue(key);
      const contender = new Contender(this.ctx, this.departures, queue, mode, settle, (e) => subscriber.error(e));
      contender.start();
      return () => contender.cancel();
    });
  }

  /** The head of the queue with its data and stat, or null when nobody holds it. */
  private async head(key: LockKey): Promise<{ path: string; memberId: string; token: bigint } | null> {
    const queue = this.ctx.keys.queue(key);
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const client = this.ctx.connection.client;
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
}
