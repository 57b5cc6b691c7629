import { createHash } from 'node:crypto';
import { type Coordinator, connect, InvalidArgumentError, LockLostError, LockTimeoutError } from '@tooz/core';
import { postgres, postgresCapabilities } from '@tooz/driver-postgres';
import { rejectionOf, stillPending, ToozPeer, waitUntil } from '@tooz/testing';
import { leadershipConformance, lockConformance, toozLockConformance } from '@tooz/testing/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresPerFile, terminate } from './support/postgres.js';

// Lock interop with Python tooz's postgresql:// driver (Debian's tooz 3.1.0, through the shared peer
// of @tooz/testing): in `lockMode: 'tooz'` a lock also takes the advisory key tooz computes for its name.

// Members behind fault proxies are for the conformance scenarios at the end, all in lockMode 'tooz'.
const pg = postgresPerFile({ lockMode: 'tooz' });
const open: Coordinator[] = [];
const peers: ToozPeer[] = [];
afterEach(async () => {
  await Promise.allSettled(peers.splice(0).map((peer) => peer.stop()));
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

let counter = 0;
const uid = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

async function python(memberId = uid('py')): Promise<ToozPeer> {
  const url = `postgresql://${pg.server.user}:${pg.server.password}@${pg.server.host}:${pg.server.port}/${pg.server.database}`;
  const peer = await ToozPeer.start({ url, memberId });
  peers.push(peer);
  return peer;
}

async function sdk(lockMode?: 'tooz' | 'native', applicationName = uid('app')): Promise<Coordinator> {
  const c = await connect(
    postgres({
      host: pg.server.host,
      port: pg.server.port,
      user: pg.server.user,
      password: pg.server.password,
      database: pg.server.database,
      applicationName,
      ...(lockMode ? { lockMode } : {}),
    }),
    { memberId: uid('ts') },
  );
  open.push(c);
  return c;
}

/** Python tooz's key for a name, computed here independently: md5's first two bytes. */
function toozKey(name: string): [number, number] {
  const digest = createHash('md5').update(name).digest();
  return [digest[0] ?? 0, digest[1] ?? 0];
}

/** The server pids holding a name's tooz key (the two-int4 form: objsubid 2), or waiting for it. */
async function toozHolders(name: string, granted = true): Promise<number[]> {
  const [high, low] = toozKey(name);
  const { rows } = await pg.admin.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted = $3
       AND classid = $1::integer::oid AND objid = $2::integer::oid ORDER BY pid`,
    [high, low, granted],
  );
  return rows.map((row) => row.pid);
}

toozLockConformance({
  python: () => python(),
  sdk: (lockMode) => sdk(lockMode),
  id: uid,
  // A Python holder is known only by its backend pid; it has no fencing token.
  pythonHolder: async (name) => {
    const [pid] = await toozHolders(name);
    return { memberId: `advisory-lock:pid=${pid}`, token: 0n };
  },
  // tooz's blocking acquire waits in the server, not in a retry loop.
  pythonRetry: 500,
});

describe("lockMode 'tooz': locks exclude Python tooz's pgsql locks", () => {
  it('takes the advisory key tooz computes: md5(name)[0:2] as two int4s', async () => {
    expect(toozKey('mylock')).toEqual([200, 223]); // TOOZ.md's example
    const c = await sdk('tooz');
    const lease = await c.acquire('mylock');
    expect((await toozHolders('mylock')).length).toBe(1);
    await lease.release();
    expect(await toozHolders('mylock')).toEqual([]);
  });

  it('a waiter refused by a short Python hold that follows an SDK release is still woken', async () => {
    // The SDK's release notifies (the waiter reads "released"), but Python, blocked in the server,
    // takes the key first and lets go without a notice before any sweep has seen it held.
    const py = await python();
    const [a, b] = [await sdk('tooz'), await sdk('tooz')];
    const name = uid('lock');
    const held = await a.acquire(name);
    const waiting = b.acquire(name, { wait: 10_000 });
    const pyWaiting = py.run('lock', name);
    // Python blocks in the server, waiting for the key.
    await waitUntil(async () => (await toozHolders(name, false)).length === 1);
    await held.release();
    expect(await pyWaiting).toBe(true);
    expect(await py.run('unlock', name)).toBe(true);
    const lease = await waiting;
    expect(lease.fencingToken > held.fencingToken).toBe(true);
    await lease.release();
  });

  it("a Python holder's session ending wakes SDK waiters", async () => {
    const py = await python();
    const c = await sdk('tooz');
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    const waiting = c.acquire(name, { wait: 20_000 });
    expect(await stillPending(waiting, 300)).toBe(true);
    const [pyPid] = await toozHolders(name);
    await pg.admin.query('SELECT pg_terminate_backend($1::integer, 5000)', [pyPid]);
    const lease = await waiting;
    expect(lease.state).toBe('held');
    await lease.release();
  });

  it("an SDK holder learns of its session's end, and Python can then take the lock", async () => {
    const py = await python();
    const app = uid('app');
    const c = await sdk('tooz', app);
    const name = uid('lock');
    const outcome = new Promise<unknown>((resolve) => {
      c.lock(name).subscribe({ error: resolve, complete: () => resolve('completed') });
    });
    await waitUntil(async () => (await toozHolders(name)).length > 0);
    expect(await py.run('try_lock', name)).toBe(false);
    await terminate(pg.admin, app);
    expect(await outcome).toBeInstanceOf(LockLostError);
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await py.run('unlock', name)).toBe(true);
  });

  it("shares tooz's 16-bit collisions: lock-2 and lock-137 exclude each other, and a release wakes the other", async () => {
    expect(toozKey('lock-2')).toEqual(toozKey('lock-137')); // TOOZ.md: both (238, 160)
    const py = await python();
    const [a, b] = [await sdk('tooz'), await sdk('tooz')];
    const held = await a.acquire('lock-2');
    expect(await rejectionOf(b.acquire('lock-137', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    expect(await py.run('try_lock', 'lock-137')).toBe(false);
    const waiting = b.acquire('lock-137', { wait: 10_000 });
    expect(await stillPending(waiting, 300)).toBe(true);
    await held.release();
    const other = await waiting;
    expect(await rejectionOf(a.acquire('lock-2', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await other.release();
    // One coordinator holding both names at once is fine: advisory locks are re-entrant per session.
    const [x, y] = [await a.acquire('lock-2'), await a.acquire('lock-137', { wait: 0 })];
    await x.release();
    expect(await py.run('try_lock', 'lock-2')).toBe(false);
    await y.release();
    expect(await py.run('try_lock', 'lock-2')).toBe(true);
    expect(await py.run('unlock', 'lock-2')).toBe(true);
  });

  it('a native-mode coordinator and a tooz-mode one still exclude each other', async () => {
    const [native, tooz] = [await sdk(), await sdk('tooz')];
    const name = uid('lock');
    const held = await native.acquire(name);
    expect(await rejectionOf(tooz.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await held.release();
    const other = await tooz.acquire(name, { wait: 0 });
    expect(await rejectionOf(native.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await other.release();
  });

  it('is set from the URL (lock_mode=tooz); a bad value is refused, naming it', async () => {
    const py = await python();
    const c = await connect(`${pg.server.url}${pg.server.url.includes('?') ? '&' : '?'}lock_mode=tooz`, {
      memberId: uid('url'),
    });
    open.push(c);
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await rejectionOf(c.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    expect(await py.run('unlock', name)).toBe(true);
    const bad = await rejectionOf(connect(`postgres://h/db?lock_mode=fair`, { memberId: 'm' }));
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect((bad as InvalidArgumentError).field).toBe('options.lock_mode');
  });
});

describe('the default lock mode is unchanged', () => {
  it("does not take tooz's key, so a Python holder does not exclude it", async () => {
    const py = await python();
    const c = await sdk();
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    const [pyPid] = await toozHolders(name);
    const lease = await c.acquire(name, { wait: 0 });
    expect(await toozHolders(name)).toEqual([pyPid]);
    await lease.release();
    expect(await py.run('unlock', name)).toBe(true);
  });
});

describe("lockMode 'tooz' passes the lock and leadership conformance scenarios", () => {
  const target = {
    capabilities: postgresCapabilities,
    ttl: 2_000,
    connect: async (options: { memberId: string }) => (await pg.members.add(options)).coordinator,
    faults: pg.faults,
  };
  lockConformance(target);
  leadershipConformance(target);
});
