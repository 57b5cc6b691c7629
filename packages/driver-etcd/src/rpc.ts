import { ConnectionError } from '@tooz/core';
import type {
  Etcd3,
  IDeleteRangeRequest,
  IDeleteRangeResponse,
  ILeaseGrantResponse,
  IRangeRequest,
  IRangeResponse,
  ITxnRequest,
  ITxnResponse,
} from 'etcd3';
import type { SchedulerLike } from 'rxjs';
import { toToozError } from './errors.js';

/**
 * Settles with `promise`, or with a retryable ConnectionError once `ms` have
 * passed on the scheduler: a request stuck on a silent connection must not
 * hold a lock attempt, a keep-alive or a close() for ever.
 */
export function withTimeout<T>(promise: Promise<T>, scheduler: SchedulerLike, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = scheduler.schedule(
      () => reject(new ConnectionError(`etcd did not answer ${what} within ${Math.round(ms)} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        timer.unsubscribe();
        resolve(value);
      },
      (error: unknown) => {
        timer.unsubscribe();
        reject(toToozError(error, what));
      },
    );
  });
}

/** The few etcd calls the driver makes, each bounded in time and with errors mapped to ToozErrors. */
export class EtcdRpc {
  constructor(
    readonly client: Etcd3,
    readonly scheduler: SchedulerLike,
    readonly timeout: number,
  ) {}

  range(request: IRangeRequest, what = 'range'): Promise<IRangeResponse> {
    return this.bounded(this.client.kv.range(request), what);
  }

  txn(request: ITxnRequest, what = 'transaction'): Promise<ITxnResponse> {
    return this.bounded(this.client.kv.txn(request), what);
  }

  deleteRange(request: IDeleteRangeRequest, what = 'delete'): Promise<IDeleteRangeResponse> {
    return this.bounded(this.client.kv.deleteRange(request), what);
  }

  leaseGrant(id: string, ttlSeconds: number): Promise<ILeaseGrantResponse> {
    return this.bounded(this.client.leaseClient.leaseGrant({ ID: id, TTL: ttlSeconds }), 'lease grant');
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.bounded(this.client.leaseClient.leaseRevoke({ ID: id }), 'lease revoke');
  }

  private bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    return withTimeout(promise, this.scheduler, this.timeout, what);
  }
}
