import { ConnectionError, deadlinePromise } from '@tooz/core/driver';
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
 * The few etcd calls the driver makes, each bounded in time (a request stuck
 * on a silent connection must not hold a lock attempt, a keep-alive or a
 * close() for ever) and with errors mapped to ToozErrors.
 */
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

  /** Settles with `promise`, or with a retryable ConnectionError after `ms` (default: the request timeout). */
  bounded<T>(promise: Promise<T>, what: string, ms = this.timeout): Promise<T> {
    const mapped = promise.catch((error: unknown) => {
      throw toToozError(error, what);
    });
    return deadlinePromise(
      mapped,
      ms,
      this.scheduler,
      () => new ConnectionError(`etcd did not answer ${what} within ${Math.round(ms)} ms`),
    );
  }
}
