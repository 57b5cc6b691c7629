import { randomUUID } from 'node:crypto';
import { connect, LockTimeoutError } from '@tooz/core';
import type { Driver, LockChange, LockKey } from '@tooz/core/driver';
import { zookeeper } from '@tooz/driver-zookeeper';
import { type HeldLock, holdLock, until, waitUntil } from '@tooz/testing';
import { firstValueFrom, from, Subject, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { zookeeperBed } from './support/bed.js';
import { watchesByPath } from './support/four-letter.js';

// The fair lock recipe as ZooKeeper sees it: nodes, watches, zxids.
const bed = zookeeperBed();
const { open, subscriptions } = bed;

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function coordinator(driver: Driver = zookeeper({ hosts: `${bed.server.host}:${bed.server.port}` })) {
  const c = await connect(driver, { memberId: id('m'), ttl: 5_000 });
  open.push(c);
  return c;
}

/** The fencing token a lease should carry: the creation zxid of the queue's head node. */
async function headCzxid(name: string): Promise<bigint> {
  const queue = `/tooz/locks/${name}`;
  const children = (await bed.inspector.children(queue)).sort((x, y) => x.slice(-10).localeCompare(y.slice(-10)));
  const stat = await bed.inspector.exists(`${queue}/${children[0]}`);
  if (!stat) throw new Error('no head');
  return stat.czxid.readBigUInt64BE(0);
}

describe('the fair lock recipe', () => {
  it('stores contenders as tooz does and fences with the holder node creation zxid', async () => {
    const [a, b] = [await coordinator(), await coordinator()];
    const name = id('lock');
    const first = await a.acquire(name);
    const [node] = await bed.inspector.children(`/tooz/locks/${name}`);
    expect(node).toMatch(/^[0-9a-f]{32}__lock__\d{10}$/);
    expect((await bed.inspector.data(`/tooz/locks/${name}/${node}`)).data.toString()).toBe(a.memberId);
    expect(first.fencingToken).toBe(await headCzxid(name));
    // A waiter's token too, read when it reaches the head.
    const waiting = b.acquire(name);
    await waitUntil(async () => (await bed.inspector.children(`/tooz/locks/${name}`)).length === 2);
    await first.release();
    const second = await waiting;
    expect(second.fencingToken).toBe(await headCzxid(name));
    expect(second.fencingToken > first.fencingToken).toBe(true);
    await second.release();
    expect(await bed.inspector.children(`/tooz/locks/${name}`)).toEqual([]);
  });

  it('has no herd: each waiter watches only its predecessor, nobody the whole queue', async () => {
    const holder = await coordinator();
    const waiters = await Promise.all([coordinator(), coordinator(), coordinator(), coordinator()]);
    const name = id('lock');
    const queue = `/tooz/locks/${name}`;
    const first = await holder.acquire(name);
    const held = waiters.map((w): HeldLock => {
      const lock = holdLock(w.lock(name));
      subscriptions.push(lock.subscription);
      return lock;
    });
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 5);
    await waitUntil(async () => {
      const watches = await watchesByPath(bed.server);
      return (await bed.inspector.children(queue)).every((node) => (watches.get(`${queue}/${node}`)?.length ?? 0) >= 1);
    });
    const watches = await watchesByPath(bed.server);
    expect(watches.get(queue) ?? []).toEqual([]);
    for (const node of await bed.inspector.children(queue)) {
      // Its owner (loss detection) and its successor, nobody else.
      expect((watches.get(`${queue}/${node}`) ?? []).length).toBeLessThanOrEqual(2);
    }
    // Releases go down the queue one waiter at a time.
    await first.release();
    for (let i = 0; i < waiters.length; i++) {
      await waitUntil(() => held.filter((h) => h.leases.length === 1 && h.subscription.closed === false).length >= 1);
      const owner = held.find((h) => h.leases.length === 1 && !h.subscription.closed);
      expect(held.filter((h) => h.leases.length === 1 && !h.subscription.closed)).toHaveLength(1);
      owner?.subscription.unsubscribe();
    }
  });

  it('deletes the node of a waiter that gives up, and of a wait that times out', async () => {
    const [a, b] = [await coordinator(), await coordinator()];
    const name = id('lock');
    const queue = `/tooz/locks/${name}`;
    const first = await a.acquire(name);
    const pending = b.lock(name).subscribe();
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 2);
    pending.unsubscribe();
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 1);
    expect(await b.acquire(name, { wait: 200 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 1);
    await first.release();
    expect(await bed.inspector.children(queue)).toEqual([]);
  });

  it('breakLock deletes the holder node: the holder is told, the next in line gets it', async () => {
    const [a, b, c] = [await coordinator(), await coordinator(), await coordinator()];
    const name = id('lock');
    const lease = await a.acquire(name);
    const waiting = b.acquire(name);
    await waitUntil(async () => (await bed.inspector.children(`/tooz/locks/${name}`)).length === 2);
    expect(await c.breakLock(name)).toBe(true);
    const next = await waiting;
    expect(lease.state).toBe('lost');
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
    expect(await c.breakLock(name)).toBe(false);
  });
});

/** The same driver without its queued acquire: core then waits with tryAcquire and changes(). */
function withoutQueue(driver: Driver, seen?: Subject<LockChange>): Driver {
  return {
    capabilities: driver.capabilities,
    description: driver.description,
    open: async (context) => {
      const session = await firstValueFrom(from(driver.open(context)));
      const backend = session.locks;
      const locks = backend && {
        tryAcquire: backend.tryAcquire.bind(backend),
        release: backend.release.bind(backend),
        holder: backend.holder.bind(backend),
        changes: (key: LockKey) => backend.changes(key).pipe(tap((change) => seen?.next(change))),
      };
      return { signals$: session.signals$, groups: session.groups, locks, close: () => session.close() };
    },
  };
}

describe('the one-shot path (tryAcquire and changes)', () => {
  it('excludes, refuses at once with wait 0, and wakes a waiter on release', async () => {
    const hosts = `${bed.server.host}:${bed.server.port}`;
    const seenByB = new Subject<LockChange>();
    const [a, b] = [
      await coordinator(withoutQueue(zookeeper({ hosts }))),
      await coordinator(withoutQueue(zookeeper({ hosts }), seenByB)),
    ];
    const name = id('lock');
    const queue = `/tooz/locks/${name}`;
    const lease = await a.acquire(name);
    expect(await b.acquire(name, { wait: 0 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    // The refused attempt deletes its node.
    await waitUntil(async () => (await bed.inspector.children(queue)).length === 1);
    // Released once b listens (its watch's first read names the holder), so the release is what wakes it.
    const listening = until(seenByB, (change) => change.type === 'acquired', 'b watching the queue');
    const waiting = b.acquire(name, { wait: 30_000 });
    await listening;
    await lease.release();
    const next = await waiting;
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
  });
});
