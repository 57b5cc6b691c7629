/**
 * Uncontended acquire+release loops on one etcd: the SDK, a raw etcd3 loop
 * making the driver's own two round trips (one transaction that writes the
 * queue entry on the session lease and reads the entry before it, then one
 * delete: the physical limit of a fair etcd lock), and the etcd3 package's
 * own `Lock` (a lease grant, a transaction and a revoke per acquire+release,
 * with a keep-alive stream opened for each lease).
 */
import { randomBytes } from 'node:crypto';
import type { Coordinator } from '@tooz/core';
import type { Etcd3 } from 'etcd3';
import type { Loop } from './measure.js';

export function sdkLoop(coordinator: Coordinator, name: string): Loop {
  return async () => {
    const lease = await coordinator.acquire(name);
    await lease.release();
  };
}

export async function rawLoop(client: Etcd3, name: string): Promise<Loop> {
  const leaseId = (randomBytes(6).readUIntBE(0, 6) + 1).toString();
  await client.leaseClient.leaseGrant({ ID: leaseId, TTL: 60 });
  const prefix = Buffer.from(`bench/locks/${name}/`);
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  const tombstone = Buffer.from(`bench/abandoned/${name}`);
  const value = Buffer.from('raw');
  // One name, reused, as the driver does: etcd ranges over every name a prefix ever held.
  const entry = Buffer.concat([prefix, Buffer.from(`${leaseId}_0`)]);
  return async () => {
    const response = await client.kv.txn({
      compare: [{ key: tombstone, target: 'Create', result: 'Equal', create_revision: '0' }],
      success: [
        { request_put: { key: entry, value, lease: leaseId, prev_kv: true } },
        {
          request_range: {
            key: prefix,
            range_end: end,
            sort_target: 'Create',
            sort_order: 'Descend',
            limit: 2,
            keys_only: true,
          },
        },
      ],
    });
    if (response.responses[1]?.response_range?.kvs.length !== 1) throw new Error('raw loop: the lock was contended');
    await client.kv.deleteRange({ key: entry });
  };
}

export function etcd3LockLoop(client: Etcd3, name: string): Loop {
  return async () => {
    const lock = client.lock(`bench/etcd3-lock/${name}`);
    await lock.acquire();
    await lock.release();
  };
}
