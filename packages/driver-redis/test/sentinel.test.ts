import { type Coordinator, connect, LockLostError, LockTimeoutError } from '@tooz/core';
import { ReplicationError } from '@tooz/driver-redis';
import { type RedisSentinelCluster, startRedisSentinel, until, waitUntil } from '@tooz/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PATIENCE = 60_000;
let cluster: RedisSentinelCluster;
const open: Coordinator[] = [];
const admins: Redis[] = [];

beforeAll(async () => {
  cluster = await startRedisSentinel();
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  for (const admin of admins) admin.disconnect();
  await cluster?.[Symbol.asyncDispose]();
});

async function coordinator(memberId: string, query = ''): Promise<Coordinator> {
  const c = await connect(`${cluster.url}${query}`, { memberId, ttl: 4_000 });
  open.push(c);
  return c;
}

function admin(port: number): Redis {
  const client = new Redis({ port, lazyConnect: false, retryStrategy: () => null });
  client.on('error', () => undefined);
  admins.push(client);
  return client;
}

describe('Redis Sentinel', () => {
  it('waitReplicas: a hold the replicas cannot acknowledge is refused and given back', async () => {
    // One replica exists: asking for two can never be satisfied, so no wait helps (a final error, not a timeout).
    const a = await coordinator('strict', '?wait_replicas=2&wait_replicas_timeout=200ms');
    const error = await a.acquire('never-replicated', { wait: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationError);
    expect(error).toMatchObject({ asked: 2, acknowledged: 1, connected: 1, retryable: false });
    expect((error as Error).message).toBe(
      'waitReplicas is 2, but only 1 replica(s) acknowledged the acquire within 200 ms: the server has only 1 replica(s) connected',
    );
    expect(await admin(cluster.primary.port).get('tooz_never-replicated_lock')).toBeNull();
    const b = await coordinator('one-replica', '?wait_replicas=1');
    await (await b.acquire('replicated', { wait: 0 })).release();
  });

  it('follows the new primary when the primary is killed; what the failover lost is reported lost', async () => {
    const a = await coordinator('holder');
    const kept = await a.acquire('kept', { ttl: 30_000 });
    const dropped = await a.acquire('dropped', { ttl: 30_000 });
    // Both reach the replica; then the replica forgets one, as if replication had lagged behind it.
    const replica = admin(cluster.replica.port);
    await waitUntil(
      async () => (await replica.exists('tooz_kept_lock', 'tooz_dropped_lock')) === 2,
      PATIENCE,
      'replicated',
    );
    await replica.config('SET', 'replica-read-only', 'no');
    await replica.del('tooz_dropped_lock');

    await cluster.primary.kill();
    await waitUntil(async () => (await cluster.leader()) === cluster.replica, PATIENCE, 'failover');

    await until(dropped.state$, (s) => s === 'lost', 'the dropped lock lost', PATIENCE);
    expect(dropped.signal.reason).toBeInstanceOf(LockLostError);
    // What the new primary has is still held, and is refreshed there.
    await until(kept.state$, (s) => s === 'held', 'the kept lock held', PATIENCE);
    // Sentinel drops the clients of a node it promotes: ask the new primary afresh.
    expect(await admin(cluster.replica.port).get('tooz_kept_lock')).toMatch(/:holder$/);

    // A newcomer gets the lost lock, with a higher token although the fence went with the old primary.
    const b = await coordinator('newcomer');
    const retaken = await b.acquire('dropped', { wait: 0 });
    expect(retaken.fencingToken > dropped.fencingToken).toBe(true);
    expect(await b.acquire('kept', { wait: 0 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    await retaken.release();
    await kept.release();
  });
});
