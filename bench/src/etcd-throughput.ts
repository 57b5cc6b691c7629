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
import { median, rateFor } from './measure.js';

export type Loop = () => Promise<void>;

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

export interface Pair {
  /** Median rates, per second. */
  readonly a: number;
  readonly b: number;
  /** Median of the per-round ratios a/b: each round runs both back to back, so a busy machine slows both alike. */
  readonly ratio: number;
}

/** Runs two loops for `ms` each, `rounds` times, swapping which goes first every round. */
export async function paired(a: Loop, b: Loop, rounds: number, ms: number): Promise<Pair> {
  for (let i = 0; i < 20; i++) {
    await a();
    await b();
  }
  const rates = { a: [] as number[], b: [] as number[] };
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    const measured = { a: 0, b: 0 };
    for (const which of order) measured[which] = await rateFor(which === 'a' ? a : b, ms);
    rates.a.push(measured.a);
    rates.b.push(measured.b);
    ratios.push(measured.a / measured.b);
  }
  return { a: median(rates.a), b: median(rates.b), ratio: median(ratios) };
}
