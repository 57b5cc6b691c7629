import { type Coordinator, connect, LockLostError, LockTimeoutError } from '@tooz/core';
import { Redis } from 'ioredis';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisSentinelCluster, startRedisSentinel } from './support/servers.js';

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

async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + PATIENCE;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${PATIENCE} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Redis Sentinel', () => {
  it('waitReplicas: a hold the replicas cannot acknowledge is refused and given back', async () => {
    // One replica exists: asking for two can never be satisfied.
    const a = await coordinator('strict', '?wait_replicas=2&wait_replicas_timeout=200ms');
    const error = await a.acquire('never-replicated', { wait: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
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
    await eventually(
      async () => ((await replica.exists('tooz_kept_lock', 'tooz_dropped_lock')) === 2 ? true : undefined),
      'replicated',
    );
    await replica.config('SET', 'replica-read-only', 'no');
    await replica.del('tooz_dropped_lock');

    await cluster.primary.kill();
    await eventually(async () => ((await cluster.leader()) === cluster.replica ? true : undefined), 'failover');

    const lost = await firstValueFrom(
      dropped.state$.pipe(
        filter((s) => s === 'lost'),
        timeout(PATIENCE),
      ),
    );
    expect(lost).toBe('lost');
    expect(dropped.signal.reason).toBeInstanceOf(LockLostError);
    // What the new primary has is still held, and is refreshed there.
    await firstValueFrom(
      kept.state$.pipe(
        filter((s) => s === 'held'),
        timeout(PATIENCE),
      ),
    );
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
