import { ConnectionError } from '@tooz/core';
import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import type { SchedulerLike, Subscription } from 'rxjs';
import { isLeaseGone, toToozError } from './errors.js';
import { endSoon } from './next-turn.js';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

/**
 * One keep-alive of lease `id`, on a stream of its own: resolves with the
 * TTL the server now gives the lease (0 once it is gone), or rejects with a
 * retryable ConnectionError if no answer comes within `ms`.
 *
 * A stream per beat (every ttl/3) costs nothing worth saving and lands on
 * whichever host is healthy now, where a long-lived stream would stay with a
 * member that died. The etcd3 package's own Lease keeps one stream and calls
 * the lease lost only after two TTLs without an answer (its issue #155).
 */
export function keepAliveOnce(client: Etcd3, id: string, scheduler: SchedulerLike, ms: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let stream: KeepAliveStream | undefined;
    let done = false;
    let timer: Subscription | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      timer?.unsubscribe();
      if (stream) endSoon(stream, scheduler);
      settle();
    };
    timer = scheduler.schedule(
      () =>
        finish(() => reject(new ConnectionError(`etcd did not answer a lease keep-alive within ${Math.round(ms)} ms`))),
      ms,
    );
    client.leaseClient.leaseKeepAlive().then(
      (opened) => {
        if (done) return endSoon(opened, scheduler);
        stream = opened;
        opened.on('data', (response) => finish(() => resolve(Number(response.TTL))));
        opened.on('error', (error) =>
          finish(() => (isLeaseGone(error) ? resolve(0) : reject(toToozError(error, 'lease keep-alive')))),
        );
        opened.on('end', () =>
          finish(() => reject(new ConnectionError('etcd closed the keep-alive stream without an answer'))),
        );
        opened.write({ ID: id });
      },
      (error: unknown) => finish(() => reject(toToozError(error, 'lease keep-alive'))),
    );
  });
}
