import {
  type ConnectionState,
  type Coordinator,
  connect,
  type LeaseState,
  type LockLease,
  LockLostError,
  LockTimeoutError,
  MembershipLostError,
} from '@tooz/core';
import {
  holdLock,
  type MemcachedServer,
  ProxiedMembers,
  rejectionOf,
  startMemcached,
  until,
  waitUntil,
} from '@tooz/testing';
import type { Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { deleteKey, readKey } from './support/expire.js';

const PATIENCE = 20_000;
let server: MemcachedServer;
let members: ProxiedMembers;
const open: Coordinator[] = [];

beforeAll(async () => {
  server = await startMemcached();
  members = new ProxiedMembers(server, (proxy, options) => connect(proxy.via(server.url), options));
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
  await members.close();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function coordinator(ttl = 3_000): Promise<Coordinator> {
  const c = await connect(server.url, { memberId: unique('m'), ttl });
  open.push(c);
  return c;
}

function recorded<T>(source$: Observable<T>): T[] {
  const seen: T[] = [];
  source$.subscribe((value) => seen.push(value));
  return seen;
}

describe('server killed and started again (memcached keeps nothing)', () => {
  it('tells every holder and member, never says held again, and the next holder has a higher token', async () => {
    const [a, b] = [await coordinator(), await coordinator()];
    const group = unique('group');
    await a.group(group).create();
    const membershipErrors: unknown[] = [];
    let joined = false;
    a.group(group)
      .join({ role: 'worker' })
      .subscribe({
        next: () => {
          joined = true;
        },
        error: (error: unknown) => membershipErrors.push(error),
      });
    await waitUntil(() => joined, PATIENCE, 'joined');
    const name = unique('lock');
    const lease = await a.acquire(name, { ttl: 30_000 });
    const afterKill = recorded<LeaseState>(lease.state$);
    const bStates = recorded<ConnectionState>(b.state$);

    await server.kill();
    await server.start();

    await until(lease.state$, (state) => state === 'lost', 'the lease lost', PATIENCE);
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    expect(afterKill.slice(1).filter((state) => state === 'held')).toEqual([]);
    await waitUntil(() => membershipErrors.length > 0, PATIENCE, 'membership lost');
    expect(membershipErrors[0]).toBeInstanceOf(MembershipLostError);

    // The counter behind the tokens (the CAS) started again, but the server's start time did not go back.
    await waitUntil(() => bStates.includes('reconnected'), PATIENCE, 'b reconnected');
    const after = await b.acquire(name, { wait: 0 });
    expect(after.fencingToken > lease.fencingToken).toBe(true);
    expect(await b.lockHolder(name)).toEqual({ memberId: b.memberId, token: after.fencingToken });
    await after.release();
  });
});

describe('connection faults', () => {
  it('a cut connection is made again: the hold is checked and kept, and still excludes others', async () => {
    const a = await members.add({ ttl: 3_000 });
    const b = await coordinator();
    const name = unique('lock');
    const lease = await a.coordinator.acquire(name);
    const states = recorded<LeaseState>(lease.state$);
    const connection = recorded<ConnectionState>(a.coordinator.state$);

    members.cut(a.memberId);

    await waitUntil(() => connection.includes('reconnected'), PATIENCE, 'reconnected');
    await waitUntil(() => states.at(-1) === 'held', PATIENCE, 'held again');
    expect(states).toContain('at-risk');
    expect(await rejectionOf(b.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await lease.release();
    const next = await b.acquire(name, { wait: 0 });
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
  });

  it('a holder whose link hangs past its TTL is told before anyone else gets the lock', async () => {
    const a = await members.add({ ttl: 2_000 });
    const b = await coordinator(2_000);
    const name = unique('lock');
    const held = holdLock(a.coordinator.lock(name));
    await waitUntil(() => held.leases.length === 1, PATIENCE, 'a holds');
    const first = held.leases[0] as LockLease;
    const order: string[] = [];
    first.state$.subscribe((state) => {
      if (state === 'lost') order.push('a lost');
    });
    const waiting = b.acquire(name, { wait: PATIENCE }).then((lease) => {
      order.push('b acquired');
      return lease;
    });

    members.suspend(a.memberId);

    const taken = await waiting;
    expect(order).toEqual(['a lost', 'b acquired']);
    expect(first.signal.reason).toBeInstanceOf(LockLostError);
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    members.resume(a.memberId);
    // Once a's link flows again its late writes change nothing: b still holds.
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'a reconnected', PATIENCE);
    expect(await b.lockHolder(name)).toEqual({ memberId: b.memberId, token: taken.fencingToken });
    await taken.release();
    held.release();
  });
});

describe('keys removed behind the holder', () => {
  it("a deleted lock key is noticed at the holder's next refresh; the new holder is never disturbed", async () => {
    const [a, b] = [await coordinator(1_500), await coordinator(1_500)];
    const name = unique('lock');
    const lease = await a.acquire(name);
    expect(await readKey(server, `__TOOZ_LOCK_${name}`)).toBeDefined();
    expect(await deleteKey(server, `__TOOZ_LOCK_${name}`)).toBe(true);
    const taken = await b.acquire(name, { wait: 0 });

    await until(lease.state$, (state) => state === 'lost', 'the lease lost', PATIENCE);
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    // a's refresh and release are conditional on its own CAS: b's key is untouched.
    await lease.release();
    expect(await b.lockHolder(name)).toEqual({ memberId: b.memberId, token: taken.fencingToken });
    expect(taken.fencingToken > lease.fencingToken).toBe(true);
    expect(taken.state).toBe('held');
    await taken.release();
  });

  it("a deleted membership key is noticed at the member's next refresh", async () => {
    const a = await coordinator(1_500);
    const group = unique('group');
    await a.group(group).create();
    const errors: unknown[] = [];
    let joined = false;
    const membership = a
      .group(group)
      .join()
      .subscribe({
        next: () => {
          joined = true;
        },
        error: (error: unknown) => errors.push(error),
      });
    await waitUntil(() => joined, PATIENCE, 'joined');
    expect(await deleteKey(server, `tooz:member:${Buffer.byteLength(group)}:${group}:${a.memberId}`)).toBe(true);
    await waitUntil(() => errors.length > 0, PATIENCE, 'membership lost');
    expect(errors[0]).toBeInstanceOf(MembershipLostError);
    membership.unsubscribe();
  });
});

/** Stores `count` junk items of about 100 bytes, pipelined, and waits for the last reply. */
async function flood(target: MemcachedServer, count: number, round: number): Promise<void> {
  const socket = netConnect({ host: target.host, port: target.port });
  const value = 'v'.repeat(60);
  try {
    let replies = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        replies += chunk.toString('latin1').split('\r\n').length - 1;
        if (replies >= count) resolve();
      });
      socket.on('error', reject);
    });
    const requests: string[] = [];
    for (let i = 0; i < count; i++) requests.push(`ms junk-${round}-${i} ${value.length} T0\r\n${value}\r\n`);
    socket.write(requests.join(''));
    await done;
  } finally {
    socket.destroy();
  }
}

describe('a lock key evicted from a full memcached (no -M)', () => {
  it("is noticed at the holder's next refresh; the next holder's token is higher; diagnose() warns", async () => {
    await using tiny = await startMemcached({ memoryMb: 2 });
    const a = await connect(tiny.url, { memberId: unique('a'), ttl: 2_000 });
    const b = await connect(tiny.url, { memberId: unique('b'), ttl: 2_000 });
    open.push(a, b);
    expect((await a.diagnose()).warnings.join(' ')).toMatch(/evict/);
    const name = unique('lock');
    const lease = await a.acquire(name);
    let round = 0;
    while ((await readKey(tiny, `__TOOZ_LOCK_${name}`)) !== undefined) {
      if (round > 20) throw new Error('the lock key was never evicted');
      await flood(tiny, 50_000, round++);
    }
    // Evicted: another process can take the lock while a still believes it holds it.
    const taken = await b.acquire(name, { wait: 0 });
    expect(taken.fencingToken > lease.fencingToken).toBe(true);
    await until(lease.state$, (state) => state === 'lost', 'the lease lost', PATIENCE);
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    expect(await a.lockHolder(name)).toEqual({ memberId: b.memberId, token: taken.fencingToken });
    await taken.release();
  });
});
