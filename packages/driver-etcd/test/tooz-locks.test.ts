import { fileURLToPath } from 'node:url';
import { type Coordinator, connect, LockLostError, LockTimeoutError } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';
import { etcdCapabilities } from '@tooz/driver-etcd';
import { rejectionOf, stillPending, ToozPeer, waitUntil } from '@tooz/testing';
import { leadershipConformance, lockConformance, toozLockConformance } from '@tooz/testing/conformance';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EtcdMembers, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

// Lock interop with Python tooz's etcd3gw driver (Debian's tooz 3.1.0, through the shared peer of
// @tooz/testing): in `lockMode: 'tooz'` both take the one key `/tooz/locks<name>`, so they exclude each other.

const { server, admin, open } = await etcdPerFile();
const toozMembers = new EtcdMembers(server, { lockMode: 'tooz' });
const shim = fileURLToPath(new URL('./python/shim', import.meta.url));
const peers: ToozPeer[] = [];

afterEach(async () => {
  await Promise.allSettled(peers.splice(0).map((peer) => peer.stop()));
});
afterAll(() => toozMembers.close());

async function python(memberId = uid('py')): Promise<ToozPeer> {
  const peer = await ToozPeer.start({
    url: `etcd3+http://${server.host}:${server.port}?api_version=v3`,
    memberId,
    env: { PYTHONPATH: shim },
  });
  peers.push(peer);
  return peer;
}

async function sdk(lockMode?: 'tooz' | 'native'): Promise<Coordinator> {
  const c = await connect(etcd({ hosts: `${server.host}:${server.port}`, ...(lockMode ? { lockMode } : {}) }), {
    memberId: uid('ts'),
    ttl: 10_000,
  });
  open.push(c);
  return c;
}

const toozKey = (name: string) => Buffer.from(`/tooz/locks${name}`);

async function keyOf(name: string) {
  const { kvs } = await admin.kv.range({ key: toozKey(name) });
  return kvs[0];
}

toozLockConformance({
  python: () => python(),
  sdk: (lockMode) => sdk(lockMode),
  id: uid,
  // Python's holder is named by its lease: its value is 16 random bytes, not a member id.
  pythonHolder: async (name) => {
    const key = await keyOf(name);
    return {
      memberId: `etcd3gw:lease=${BigInt(key?.lease ?? '0').toString(16)}`,
      token: BigInt(key?.create_revision ?? '0'),
    };
  },
  // etcd3gw's blocking acquire retries once a second.
  pythonRetry: 1_000,
});

describe("lockMode 'tooz': locks exclude Python tooz's etcd3gw locks", () => {
  it("takes tooz's one key, /tooz/locks<name>, on the SDK's own lease, and deletes it on release", async () => {
    const c = await sdk('tooz');
    const name = uid('lock');
    const lease = await c.acquire(name, { wait: 0 });
    const mine = await keyOf(name);
    expect(mine?.lease).not.toBe('0');
    expect(lease.fencingToken).toBe(BigInt(mine?.create_revision ?? '0'));
    await lease.release();
    expect(await keyOf(name)).toBeUndefined();
  });

  it("a Python holder's key deleted by its lease's end (expiry, revocation) wakes SDK waiters", async () => {
    const py = await python();
    const c = await sdk('tooz');
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    const pyLease = (await keyOf(name))?.lease;
    expect(pyLease).toBeDefined();
    const waiting = c.acquire(name, { wait: 20_000 });
    expect(await stillPending(waiting, 300)).toBe(true);
    await admin.leaseClient.leaseRevoke({ ID: pyLease as string });
    const lease = await waiting;
    expect(lease.state).toBe('held');
    await lease.release();
  });

  it("an SDK holder is told when its key is deleted (tooz's break_), and Python can then take the lock", async () => {
    const py = await python();
    const c = await sdk('tooz');
    const name = uid('lock');
    const outcome = new Promise<unknown>((resolve) => {
      c.lock(name).subscribe({ error: resolve, complete: () => resolve('completed') });
    });
    await waitUntil(async () => (await keyOf(name)) !== undefined, 10_000, 'the SDK holds the lock');
    expect(await py.run('try_lock', name)).toBe(false);
    // tooz's break_() is a plain delete of the key.
    await admin.kv.deleteRange({ key: toozKey(name) });
    const error = await outcome;
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).reason).toBe('stolen');
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await py.run('unlock', name)).toBe(true);
  });

  it('two SDK coordinators in tooz mode exclude each other, and a release wakes the waiter', async () => {
    const [a, b] = [await sdk('tooz'), await sdk('tooz')];
    const name = uid('lock');
    const held = await a.acquire(name);
    expect(await rejectionOf(b.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    const waiting = b.acquire(name, { wait: 10_000 });
    expect(await stillPending(waiting, 300)).toBe(true);
    await held.release();
    const next = await waiting;
    expect(next.fencingToken > held.fencingToken).toBe(true);
    await next.release();
  });

  it('abandoning a wait leaves nothing behind', async () => {
    const py = await python();
    const c = await sdk('tooz');
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    let subscription: Subscription | undefined;
    const outcome = new Promise((resolve) => {
      subscription = c.lock(name, { wait: 20_000 }).subscribe({ next: resolve, error: resolve });
    });
    expect(await stillPending(outcome, 300)).toBe(true);
    subscription?.unsubscribe();
    expect(await py.run('unlock', name)).toBe(true);
    await waitUntil(async () => (await keyOf(name)) === undefined, 10_000, 'the key gone');
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await py.run('unlock', name)).toBe(true);
  });

  it('leader seats are unchanged in tooz mode: a fair queue under tooz/leaders/', async () => {
    const c = await sdk('tooz');
    const group = uid('g');
    const seat = c.leadership(group).subscribe();
    await c.leadership(group).whenLeading();
    const { kvs } = await admin.kv.range({
      key: Buffer.from(`tooz/leaders/${group}/`),
      range_end: Buffer.from(`tooz/leaders/${group}0`),
    });
    expect(kvs.map((kv) => kv.value.toString())).toEqual([c.memberId]);
    seat.unsubscribe();
  });

  it("is set from the URL (lock_mode=tooz), tooz's own URL included", async () => {
    const py = await python();
    const c = await connect(
      `etcd3+http://${server.host}:${server.port}/ignored?api_version=v3&executor=threaded&lock_mode=tooz&timeout=10`,
      { memberId: uid('url') },
    );
    open.push(c);
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await rejectionOf(c.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    expect(await py.run('unlock', name)).toBe(true);
    const lease = await c.acquire(name, { wait: 0 });
    expect((await keyOf(name))?.value.toString()).toContain(c.memberId);
    await lease.release();
  });
});

describe('the default lock mode is unchanged', () => {
  it('keeps its fair queue under tooz/locks/<name>/, which Python tooz does not see', async () => {
    const py = await python();
    const c = await sdk();
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    // Not excluded: the README says so for the default mode.
    const lease = await c.acquire(name, { wait: 0 });
    const { kvs } = await admin.kv.range({
      key: Buffer.from(`tooz/locks/${name}/`),
      range_end: Buffer.from(`tooz/locks/${name}0`),
    });
    expect(kvs.map((kv) => kv.value.toString())).toEqual([c.memberId]);
    expect(lease.fencingToken).toBe(BigInt(kvs[0]?.create_revision ?? '0'));
    await lease.release();
    expect(await py.run('unlock', name)).toBe(true);
  });
});

describe("lockMode 'tooz' passes the lock and leadership conformance scenarios", () => {
  const target = {
    capabilities: etcdCapabilities,
    ttl: 3_000,
    connect: (options: Parameters<EtcdMembers['connect']>[0]) => toozMembers.connect(options),
    faults: {
      suspend: (memberId: string) => toozMembers.suspend(memberId),
      resume: (memberId: string) => toozMembers.resume(memberId),
      expireSession: (memberId: string) => toozMembers.expire(admin, memberId),
    },
  };
  lockConformance(target);
  leadershipConformance(target);
});
