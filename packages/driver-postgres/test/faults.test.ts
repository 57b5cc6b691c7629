import {
  type ConnectionState,
  type LockLease,
  LockLostError,
  LockTimeoutError,
  type MembershipEvent,
  MembershipLostError,
} from '@tooz/core';
import { holdLock, type ProxiedMembers, rejectionOf, stillPending, until, waitUntil } from '@tooz/testing';
import type { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { adminClient, connectionsOf, postgresMembers, postgresPerFile, terminate } from './support/postgres.js';

const PATIENCE = 20_000;
const pg = postgresPerFile();
let members: ProxiedMembers;
afterEach(async () => {
  await members?.close();
});

/** Fast failure detection, so the suspension scenarios run in seconds. */
const QUICK = { keepaliveInterval: 100, keepaliveTimeout: 300, sessionTimeout: 1_500, livenessInterval: 200 };

function states(state$: Observable<ConnectionState>): ConnectionState[] {
  const seen: ConnectionState[] = [];
  state$.subscribe((state) => seen.push(state));
  return seen;
}

describe('faults', () => {
  it("pg_terminate_backend on the holder's session: the holder is told, a waiter takes over with a higher token", async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    const held = holdLock(a.coordinator.lock('invoice'));
    await waitUntil(() => held.leases.length === 1);
    const first = held.leases[0] as LockLease;
    // b finds it held, then waits for it.
    expect(await rejectionOf(b.coordinator.acquire('invoice', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    const waiting = b.coordinator.acquire('invoice', { wait: PATIENCE });
    expect(await terminate(pg.admin, a.memberId)).toBe(1);
    const taken = await waiting;
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    await waitUntil(() => held.errors.length > 0);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    expect((held.errors[0] as LockLostError).reason).toBe('session-lost');
    expect(first.signal.aborted).toBe(true);
    // The coordinator carries on in a new session; the lock is b's now.
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    expect(await rejectionOf(a.coordinator.acquire('invoice', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await taken.release();
    const again = await a.coordinator.acquire('invoice', { wait: PATIENCE });
    expect(again.fencingToken > taken.fencingToken).toBe(true);
    await again.release();
  });

  it('hands leadership over when the leader session is ended, and the old leader runs again as a candidate', async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    const seen: boolean[] = [];
    a.coordinator.leadership('seat').subscribe((leading) => seen.push(leading));
    await until(a.coordinator.leadership('seat'), (leading) => leading, 'a leading');
    b.coordinator.leadership('seat').subscribe();
    await terminate(pg.admin, a.memberId);
    await until(b.coordinator.leadership('seat'), (leading) => leading, 'b leading');
    expect(seen.at(-1)).toBe(false);
    expect(await until(a.coordinator.leadership('seat').leader$, (id) => id === b.memberId, 'leader$ = b')).toBe(
      b.memberId,
    );
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    // b stands down: a, still a candidate, takes the seat again.
    await b.coordinator.leadership('seat').standDown();
    await until(a.coordinator.leadership('seat'), (leading) => leading, 'a leading again');
  });

  it("a release issued after the session was lost never frees the new session's hold", async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    const old = await a.coordinator.acquire('k');
    await terminate(pg.admin, a.memberId);
    await waitUntil(() => old.state === 'lost');
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    const fresh = await a.coordinator.acquire('k', { wait: PATIENCE });
    await old.release();
    expect(await rejectionOf(b.coordinator.acquire('k', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await fresh.release();
    await (await b.coordinator.acquire('k', { wait: PATIENCE })).release();
  });

  it('server restarted: holders are told, everything resumes, tokens keep increasing', async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    const stateA = states(a.coordinator.state$);
    await a.coordinator.group('g').create();
    const membershipErrors: unknown[] = [];
    a.coordinator
      .group('g')
      .join({ a: 1 })
      .subscribe({ error: (error: unknown) => membershipErrors.push(error) });
    const held = holdLock(a.coordinator.lock('restart'));
    await waitUntil(() => held.leases.length === 1);
    const first = held.leases[0] as LockLease;
    const events: MembershipEvent[] = [];
    b.coordinator.group('g').events$.subscribe((event) => events.push(event));
    await waitUntil(async () => (await b.coordinator.group('g').members()).has(a.memberId));
    const waiting = b.coordinator.acquire('restart', { wait: 60_000 });
    await pg.server.restart();
    await pg.admin.end().catch(() => undefined);
    pg.admin = await adminClient(pg.server);
    await waitUntil(() => held.errors.length > 0 && membershipErrors.length > 0);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    expect(membershipErrors[0]).toBeInstanceOf(MembershipLostError);
    const taken = await waiting;
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    await waitUntil(() => events.some((event) => event.type === 'left' && event.memberId === a.memberId));
    await waitUntil(() => stateA.includes('reconnected'));
    expect(stateA.slice(0, 3)).toEqual(['connected', 'lost', 'reconnected']);
    expect(await a.coordinator.groups()).toContain('g');
    await taken.release();
  });

  it('suspended past the session timeout: at-risk, then lost; nobody holds it twice; taken over once the old session is ended', async () => {
    members = postgresMembers(pg.server, QUICK);
    const [a, b] = [await members.add(), await members.add()];
    const stateA = states(a.coordinator.state$);
    const held = holdLock(a.coordinator.lock('cut-off'));
    await waitUntil(() => held.leases.length === 1);
    const first = held.leases[0] as LockLease;
    const waiting = b.coordinator.acquire('cut-off', { wait: 60_000 });
    members.suspend(a.memberId);
    await until(first.state$, (state) => state === 'at-risk', 'at-risk');
    await waitUntil(() => held.errors.length > 0);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    expect(stateA.slice(0, 3)).toEqual(['connected', 'suspended', 'lost']);
    // The old server session still holds the lock while the network holds its traffic.
    expect(await stillPending(waiting, 500)).toBe(true);
    members.resume(a.memberId);
    const lease = await waiting;
    expect(lease.fencingToken > first.fencingToken).toBe(true);
    await waitUntil(() => stateA.includes('reconnected'));
    await lease.release();
  });

  it('connection cut (RST): the holder and the member are told, a waiter takes over, watchers see the leave', async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    await a.coordinator.group('cut').create();
    const membershipErrors: unknown[] = [];
    a.coordinator
      .group('cut')
      .join()
      .subscribe({ error: (error: unknown) => membershipErrors.push(error) });
    const held = holdLock(a.coordinator.lock('cut'));
    await waitUntil(() => held.leases.length === 1);
    const left = until(b.coordinator.group('cut').events$, (event) => event.type === 'left', 'left event');
    await waitUntil(async () => (await b.coordinator.group('cut').members()).has(a.memberId));
    const waiting = b.coordinator.acquire('cut', { wait: PATIENCE });
    members.cut(a.memberId);
    const taken = await waiting;
    expect(taken.fencingToken > (held.leases[0]?.fencingToken ?? 0n)).toBe(true);
    expect(await left).toEqual({ type: 'left', groupId: 'cut', memberId: a.memberId });
    await waitUntil(() => held.errors.length > 0 && membershipErrors.length > 0);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    expect(membershipErrors[0]).toBeInstanceOf(MembershipLostError);
    await taken.release();
  });

  it('sessions that end without a word are found by the sweep, with two connections per watcher', async () => {
    members = postgresMembers(pg.server, QUICK);
    const watcher = await members.add();
    await watcher.coordinator.group('silent').create();
    const silent = await Promise.all(Array.from({ length: 5 }, () => members.add()));
    for (const member of silent) {
      await new Promise<void>((resolve, reject) =>
        member.coordinator
          .group('silent')
          .join()
          .subscribe({ next: () => resolve(), error: reject }),
      );
    }
    const holder = silent[0];
    if (!holder) throw new Error('unreachable');
    const lease = await holder.coordinator.acquire('silent-lock');
    const events: MembershipEvent[] = [];
    watcher.coordinator.group('silent').events$.subscribe((event) => events.push(event));
    await waitUntil(async () => (await watcher.coordinator.group('silent').members()).size === 5);
    const waiting = watcher.coordinator.acquire('silent-lock', { wait: PATIENCE });
    // Their traffic is held, then their server sessions ended: they cannot say goodbye.
    for (const member of silent) members.suspend(member.memberId);
    for (const member of silent) await terminate(pg.admin, member.memberId);
    const taken = await waiting;
    expect(taken.fencingToken > lease.fencingToken).toBe(true);
    await waitUntil(() => events.filter((event) => event.type === 'left').length === 5);
    expect(new Set(events.filter((e) => e.type === 'left').map((e) => e.memberId))).toEqual(
      new Set(silent.map((member) => member.memberId)),
    );
    expect(await connectionsOf(pg.admin, watcher.memberId)).toBe(2);
    // Once reachable again, each learns that its session is gone.
    for (const member of silent) members.resume(member.memberId);
    await waitUntil(() => lease.state === 'lost');
    await taken.release();
  });

  it('the events connection is re-made when it drops: waiters still wake, watchers still hear', async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    await a.coordinator.group('ev').create();
    const lease = await a.coordinator.acquire('ev');
    const waiting = b.coordinator.acquire('ev', { wait: PATIENCE });
    expect(await terminate(pg.admin, `${b.memberId}/events`)).toBe(1);
    await lease.release();
    await (await waiting).release();
    await waitUntil(async () => (await connectionsOf(pg.admin, b.memberId)) === 2);
    using watch = await b.coordinator.group('ev').watch();
    const joined = until(watch.events$, (event) => event.type === 'joined', 'joined event');
    a.coordinator
      .group('ev')
      .join()
      .subscribe({ error: () => undefined });
    expect(await joined).toMatchObject({ type: 'joined', memberId: a.memberId });
    expect(b.coordinator.state).toBe('connected');
  });

  it('a statement that fails after taking an advisory lock gives the lock back', async () => {
    members = postgresMembers(pg.server);
    const [a, b] = [await members.add(), await members.add()];
    await a.coordinator.group('trap').create();
    await pg.admin.query(`CREATE FUNCTION tooz.trap() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'trapped'; END $$`);
    try {
      await pg.admin.query(
        'CREATE TRIGGER trap BEFORE INSERT OR UPDATE ON tooz.locks FOR EACH ROW EXECUTE FUNCTION tooz.trap()',
      );
      await pg.admin.query(
        'CREATE TRIGGER trap BEFORE INSERT OR UPDATE ON tooz.members FOR EACH ROW EXECUTE FUNCTION tooz.trap()',
      );
      const failed = await rejectionOf(a.coordinator.acquire('trap'));
      expect((failed as Error).message).toMatch(/trapped/);
      const refused = await rejectionOf(
        new Promise((resolve, reject) =>
          a.coordinator.group('trap').join().subscribe({ next: resolve, error: reject }),
        ),
      );
      expect((refused as Error).message).toMatch(/trapped/);
    } finally {
      await pg.admin.query('DROP FUNCTION tooz.trap() CASCADE');
    }
    // Nothing was left held: another session takes the lock, and the member id can join elsewhere.
    await waitUntil(async () => {
      const { rows } = await pg.admin.query(
        `SELECT 1 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
         WHERE l.locktype = 'advisory' AND s.application_name = $1`,
        [a.memberId],
      );
      return rows.length === 0;
    });
    await (await b.coordinator.acquire('trap', { wait: 0 })).release();
    const twin = await members.add({ memberId: a.memberId });
    await new Promise((resolve, reject) =>
      twin.coordinator.group('trap').join().subscribe({ next: resolve, error: reject }),
    );
  });
});
