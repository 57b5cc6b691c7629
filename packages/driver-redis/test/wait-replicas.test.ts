/**
 * `waitReplicas` on a standalone Redis, where no replica can ever
 * acknowledge: an acquire and a join fail at once with a ReplicationError
 * that says so (no retrying until the wait runs out into a LockTimeoutError),
 * and what they wrote is given back.
 */
import { ConnectionError, type Coordinator, connect, isRetryable, LockTimeoutError } from '@tooz/core';
import { ReplicationError } from '@tooz/driver-redis';
import { type RedisServer, startRedis } from '@tooz/testing';
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NO_REPLICA =
  ': the server has no replica connected (a standalone Redis cannot satisfy it: set waitReplicas to 0, or add replicas)';
let server: RedisServer;
let admin: Redis;
let strict: Coordinator;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  strict = await connect(`${server.url}?wait_replicas=1&wait_replicas_timeout=200ms`, { memberId: 'strict' });
});
afterAll(async () => {
  await strict?.close();
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

describe('waitReplicas on a standalone Redis', () => {
  it('an acquire fails with a final ReplicationError naming what was asked and acknowledged, not a timeout', async () => {
    // A wait long enough that a retryable error would end as a LockTimeoutError instead.
    const error = await strict.acquire('invoice-42', { wait: 30_000 }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(LockTimeoutError);
    expect(error).toBeInstanceOf(ReplicationError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(isRetryable(error)).toBe(false);
    expect(error).toMatchObject({ write: 'acquire', asked: 1, acknowledged: 0, connected: 0 });
    expect((error as Error).message).toBe(
      `waitReplicas is 1, but no replica acknowledged the acquire within 200 ms${NO_REPLICA}`,
    );
    // Given back before the error was reported (one connection: the release went out first).
    expect(await admin.get('tooz_invoice-42_lock')).toBeNull();
  });

  it('a join fails the same way and leaves no member behind', async () => {
    const workers = strict.group('workers');
    await workers.create();
    const error = await firstValueFrom(workers.join({ weight: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationError);
    expect(error).toMatchObject({ write: 'join', asked: 1, acknowledged: 0, connected: 0, retryable: false });
    expect((error as Error).message).toBe(
      `waitReplicas is 1, but no replica acknowledged the join within 200 ms${NO_REPLICA}`,
    );
    expect((await workers.members()).size).toBe(0);
  });
});
