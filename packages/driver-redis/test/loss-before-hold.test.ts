import { type Coordinator, connect, type LeaseState, LockLostError } from '@tooz/core';
import { type RedisServer, startRedis, waitUntil } from '@tooz/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inOneRead } from './support/batched.js';

const PATIENCE = 20_000;
let server: RedisServer;
let admin: Redis;
const open: Coordinator[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function coordinator(ttl: number): Promise<Coordinator> {
  const c = await connect(server.url, { memberId: unique('m'), ttl });
  open.push(c);
  // The scripts are known to the server from here on: each request below is one EVALSHA, not two.
  const warm = unique('warm');
  await (await c.acquire(warm)).release();
  await c.breakLock(warm);
  return c;
}

describe('a loss that arrives before the hold is registered', () => {
  it('a break read together with the acquire reply is reported once, as stolen', async () => {
    const a = await coordinator(3_000);
    const name = unique('lock');
    const states: LeaseState[] = [];
    const losses: unknown[] = [];
    let leases = 0;

    // The acquire and the break of the same lock leave one connection back to back: the server
    // answers the acquire, then publishes the break on a's inbox, and a reads both at once.
    const broken = await inOneRead(admin, () => {
      a.lock(name, { wait: 0 }).subscribe({
        next: (lease) => {
          leases++;
          lease.state$.subscribe((state) => states.push(state));
        },
        error: (error: unknown) => losses.push(error),
      });
      return a.breakLock(name);
    });

    expect(await broken).toBe(true);
    await waitUntil(() => losses.length > 0, PATIENCE, 'the loss reported');
    // Before the fix the push was dropped, and the first refresh (ttl/3 later) found the key gone: 'expired'.
    expect(losses).toHaveLength(1);
    expect(losses[0]).toBeInstanceOf(LockLostError);
    expect((losses[0] as LockLostError).reason).toBe('stolen');
    // Core hands out no lease for a hold known lost before its grant was handled (core README).
    expect(leases).toBe(0);
    expect(states).toEqual([]);
    // The break deleted the key, and nothing wrote it again.
    expect(await admin.exists(`tooz_${name}_lock`)).toBe(0);
  });
});
