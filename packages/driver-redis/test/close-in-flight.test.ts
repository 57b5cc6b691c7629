import { type Coordinator, connect, type LockLease, type Membership } from '@tooz/core';
import { ProxiedMembers, type RedisServer, startRedis, waitUntil } from '@tooz/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const PATIENCE = 20_000;
// Long enough that nothing left behind could expire during the test: a leak shows as a key still there.
const TTL = 60_000;
// Each way, through the proxy: the requests are still on their way when close() is called.
const LATENCY = 300;
let server: RedisServer;
let members: ProxiedMembers;
let admin: Redis;
const open: Coordinator[] = [];

beforeAll(async () => {
  server = await startRedis();
  members = new ProxiedMembers(server, (proxy, options) => connect(proxy.via(server.url), options));
  admin = new Redis(server.url);
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await members?.close();
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function coordinator(): Promise<Coordinator> {
  const c = await connect(server.url, { memberId: unique('m'), ttl: TTL });
  open.push(c);
  return c;
}

describe('close() while an acquire and a join are in flight', () => {
  it('leaves no lock and no member behind on the server', async () => {
    const other = await coordinator();
    const group = unique('group');
    await other.group(group).create();
    // The server knows every script already: each request below is one EVALSHA.
    const warm = other.group(unique('warm'));
    await warm.create();
    const warmJoin = warm.join().subscribe();
    await waitUntil(async () => (await warm.members()).size === 1, PATIENCE, 'warm-up join');
    warmJoin.unsubscribe();
    await (await other.acquire(unique('warm'))).release();

    const { coordinator: a, proxy } = await members.add({ ttl: TTL });
    const name = unique('lock');
    const seen: string[] = [];
    proxy.latency(LATENCY);
    a.lock(name, { wait: 0 }).subscribe({
      next: (lease: LockLease) => seen.push(`lease ${lease.state}`),
      error: (error: unknown) => seen.push(`lock error ${String(error)}`),
      complete: () => seen.push('lock complete'),
    });
    a.group(group)
      .join()
      .subscribe({
        next: (membership: Membership) => seen.push(`joined ${membership.groupId}`),
        error: (error: unknown) => seen.push(`join error ${String(error)}`),
        complete: () => seen.push('join complete'),
      });
    await a.close();

    // Every byte a sent has reached the server, which has run it and closed the connection.
    await waitUntil(() => proxy.connections === 0, PATIENCE, "a's connection through the proxy closed");
    // Soft: a leaked lock and a leaked member are reported together.
    expect.soft(await admin.exists(`tooz_${name}_lock`), 'the lock key').toBe(0);
    expect.soft([...(await other.group(group).members()).keys()], 'the members').not.toContain(a.memberId);
    const lease = await other.acquire(name, { wait: 0 });
    await lease.release();
    // Neither stream was left hanging: each ended one way or another.
    expect(seen.some((event) => event.startsWith('lock '))).toBe(true);
    expect(seen.some((event) => event.startsWith('join '))).toBe(true);
  });
});
