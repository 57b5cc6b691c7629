import {
  type ConnectionState,
  type LockLease,
  LockLostError,
  LockTimeoutError,
  type MembershipEvent,
  MembershipLostError,
} from '@tooz/core';
import { holdLock, rejectionOf, until, waitUntil } from '@tooz/testing';
import type { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { mysqlPerFile } from './support/members.js';

const PATIENCE = 30_000;
const mysql = mysqlPerFile();
/** Fast failure detection, so the suspension scenarios run in seconds. */
const QUICK = { keepaliveInterval: 100, keepaliveTimeout: 300, sessionTimeout: 2_000 };

function states(state$: Observable<ConnectionState>): ConnectionState[] {
  const seen: ConnectionState[] = [];
  state$.subscribe((state) => seen.push(state));
  return seen;
}

describe('faults', () => {
  it("KILL CONNECTION of the holder's session: the holder is told, a waiter takes over with a higher token", async () => {
    const [a, b] = [await mysql.members.add(), await mysql.members.add()];
    const held = holdLock(a.coordinator.lock('invoice'));
    await waitUntil(() => held.leases.length === 1);
    const first = held.leases[0] as LockLease;
    expect(await rejectionOf(b.coordinator.acquire('invoice', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    const waiting = b.coordinator.acquire('invoice', { wait: PATIENCE });
    expect(await mysql.kill(a.memberId)).toHaveLength(1);
    const taken = await waiting;
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    await waitUntil(() => held.errors.length > 0);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    expect(first.signal.aborted).toBe(true);
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    expect(await rejectionOf(a.coordinator.acquire('invoice', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await taken.release();
    const again = await a.coordinator.acquire('invoice', { wait: PATIENCE });
    expect(again.fencingToken > taken.fencingToken).toBe(true);
    await again.release();
  });

  it('a killed member is reported left to watchers, and leadership moves', async () => {
    const [a, b] = [await mysql.members.add(), await mysql.members.add()];
    await a.coordinator.group('crew').create();
    const events: MembershipEvent[] = [];
    // Armed before the join, so the join is an event, never part of the first read.
    using watch = await b.coordinator.group('crew').watch();
    watch.events$.subscribe((event) => events.push(event));
    const errors: unknown[] = [];
    a.coordinator
      .group('crew')
      .join()
      .subscribe({ error: (error: unknown) => errors.push(error) });
    // Polled: a member must be seen joined before its leave can be an event.
    await waitUntil(() => events.some((event) => event.type === 'joined' && event.memberId === a.memberId));
    const leading: boolean[] = [];
    const candidacy = a.coordinator.leadership('seat').subscribe((value) => leading.push(value));
    await until(a.coordinator.leadership('seat'), (value) => value, 'a leading');
    b.coordinator.leadership('seat').subscribe();
    await mysql.kill(a.memberId);
    await waitUntil(() => leading.at(-1) === false);
    // a runs again after reconnecting and may win the seat back: b gets it once a withdraws.
    candidacy.unsubscribe();
    await waitUntil(() => events.some((event) => event.type === 'left' && event.memberId === a.memberId));
    await waitUntil(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(MembershipLostError);
    await until(b.coordinator.leadership('seat'), (leading) => leading, 'b leading');
    expect(await until(b.coordinator.leadership('seat').leader$, (id) => id === b.memberId)).toBe(b.memberId);
  });

  it("a release issued after the session was lost never frees the new session's hold", async () => {
    const [a, b] = [await mysql.members.add(), await mysql.members.add()];
    const old = await a.coordinator.acquire('k');
    await mysql.kill(a.memberId);
    await waitUntil(() => old.state === 'lost');
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    const fresh = await a.coordinator.acquire('k', { wait: PATIENCE });
    await old.release();
    expect(await rejectionOf(b.coordinator.acquire('k', { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await fresh.release();
    await (await b.coordinator.acquire('k', { wait: PATIENCE })).release();
  });

  it('suspended past the session deadline: the holder is told lost before anyone else can hold the lock', async () => {
    const [a, b] = [await mysql.members.add(QUICK), await mysql.members.add(QUICK)];
    const seen = states(a.coordinator.state$);
    const first = await a.coordinator.acquire('partitioned');
    mysql.members.suspend(a.memberId);
    const taken = await b.coordinator.acquire('partitioned', { wait: PATIENCE });
    // Whoever holds it next finds the old holder already told.
    expect(first.state).toBe('lost');
    expect(first.signal.aborted).toBe(true);
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    expect(seen).toContain('suspended');
    expect(seen).toContain('lost');
    mysql.members.resume(a.memberId);
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    await taken.release();
  });

  it('a cut connection (RST) is a loss; the server frees the lock and a waiter takes it', async () => {
    const [a, b] = [await mysql.members.add(QUICK), await mysql.members.add(QUICK)];
    const held = holdLock(a.coordinator.lock('cut'));
    await waitUntil(() => held.leases.length === 1);
    const first = held.leases[0] as LockLease;
    const waiting = b.coordinator.acquire('cut', { wait: PATIENCE });
    mysql.members.cut(a.memberId);
    const taken = await waiting;
    expect(first.state).toBe('lost');
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    await waitUntil(() => held.errors.length > 0);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    await until(a.coordinator.state$, (state) => state === 'reconnected', 'reconnection');
    await taken.release();
  });

  it('server restarted: holders are told, everything resumes, tokens keep increasing', async () => {
    const [a, b] = [await mysql.members.add(), await mysql.members.add()];
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
    await mysql.restartServer();
    await waitUntil(() => held.errors.length > 0 && membershipErrors.length > 0, PATIENCE);
    expect(held.errors[0]).toBeInstanceOf(LockLostError);
    expect(membershipErrors[0]).toBeInstanceOf(MembershipLostError);
    const taken = await waiting;
    expect(taken.fencingToken > first.fencingToken).toBe(true);
    await waitUntil(() => events.some((event) => event.type === 'left' && event.memberId === a.memberId), PATIENCE);
    await waitUntil(() => stateA.includes('reconnected'), PATIENCE);
    expect(stateA.slice(0, 3)).toEqual(['connected', 'lost', 'reconnected']);
    expect(await a.coordinator.groups()).toContain('g');
    await taken.release();
  });

  it('holds 10,000 locks on one coordinator over one connection', async () => {
    // A capacity check, not a keep-alive one: a burst of 10,000 GET_LOCKs dates every answer from the
    // burst's one send, and on a loaded machine the burst can outlast the default session timeout (the
    // known burst limitation, in the closing notes). A long timeout keeps this test about capacity.
    const a = await mysql.members.add({ sessionTimeout: 120_000 });
    const id = Number((await a.coordinator.diagnose()).server.connectionId);
    const leases = await Promise.all(Array.from({ length: 10_000 }, (_, i) => a.coordinator.acquire(`many-${i}`)));
    expect(new Set(leases.map((lease) => lease.state))).toEqual(new Set(['held']));
    // The server's own word: every one of them is a GET_LOCK of that one session.
    const [[row]] = (await mysql.admin.query(
      "SELECT COUNT(*) AS n FROM tooz_locks WHERE conn = ? AND IS_USED_LOCK(lock_name) = conn AND lock_name LIKE 'tooz:tooz:l:many-%'",
      [id],
    )) as unknown as [[{ n: number }]];
    expect(Number(row.n)).toBe(10_000);
    expect(Number((await a.coordinator.diagnose()).server.connectionId)).toBe(id);
    await Promise.all(leases.map((lease) => lease.release()));
  });
});
