import { randomUUID } from 'node:crypto';
import {
  type ConnectionState,
  type Coordinator,
  connect,
  LockLostError,
  LockTimeoutError,
  MembershipLostError,
} from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { until, waitUntil } from '@tooz/testing';
import { filter } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { zookeeperBed } from './support/bed.js';
import { holdEverything } from './support/hold.js';
import { Inspector } from './support/inspect.js';
import { ZookeeperMembers } from './support/proxied.js';

// One server for the file; every coordinator under test reaches it through its own fault proxy.
const SESSION_TIMEOUT = 3_000;
const bed = zookeeperBed();
const members = new ZookeeperMembers(() => bed.server);
const { open, subscriptions } = bed;

afterAll(() => members.close());

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function proxied(memberId = id('m'), ttl = SESSION_TIMEOUT): Promise<Coordinator> {
  const { coordinator } = await members.add({ memberId, ttl });
  open.push(coordinator);
  return coordinator;
}

async function direct(memberId = id('m')): Promise<Coordinator> {
  const coordinator = await connect(zookeeper({ hosts: `${bed.server.host}:${bed.server.port}` }), {
    memberId,
    ttl: SESSION_TIMEOUT,
  });
  open.push(coordinator);
  return coordinator;
}

function states(coordinator: Coordinator): ConnectionState[] {
  const seen: ConnectionState[] = [];
  subscriptions.push(coordinator.state$.subscribe((state) => seen.push(state)));
  return seen;
}

describe('session expired by the server', () => {
  it('cut off past the session timeout: told lost before anyone else holds; nothing held twice; nothing left behind', async () => {
    const a = await proxied();
    const b = await direct();
    const name = id('lock');
    const group = id('group');
    const seen = states(a);
    const { errors, lease, leading } = await holdEverything(a, name, group, subscriptions);
    const order: string[] = [];
    subscriptions.push(lease.state$.pipe(filter((s) => s === 'lost')).subscribe(() => order.push('a lost')));

    members.suspend(a.memberId);
    const next = await b.acquire(name, { wait: 30_000 });
    order.push('b holds');
    expect(order).toEqual(['a lost', 'b holds']);
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    expect(errors.some((e) => e instanceof LockLostError && e.reason === 'session-lost')).toBe(true);
    expect(errors.some((e) => e instanceof MembershipLostError)).toBe(true);
    expect(leading.at(-1)).toBe(false);
    expect(seen).toContain('suspended');
    expect(seen.at(-1)).toBe('lost');

    // The server expired the session: its lock contender, member node and leader candidate are gone.
    const queue = await bed.inspector.children(`/tooz/locks/${name}`);
    expect(queue).toHaveLength(1);
    expect((await bed.inspector.data(`/tooz/locks/${name}/${queue[0]}`)).data.toString()).toBe(b.memberId);
    expect(await bed.inspector.children(`/tooz/${group}`)).toEqual(['leader']);

    members.resume(a.memberId);
    await until(a.state$, (s) => s === 'reconnected', 'reconnection in a new session');
    // A candidate again in the new session; b is not one, so a leads again.
    await until(a.leadership(group), (v) => v, 'leadership in the new session');
    await next.release();
  });

  it('closed from a second connection: lost at once, then a new session; leadership runs again', async () => {
    const a = await proxied();
    const name = id('lock');
    const group = id('group');
    const seen = states(a);
    const { errors, lease } = await holdEverything(a, name, group, subscriptions);
    await members.expireSession(a.memberId);
    await waitUntil(() => errors.length >= 2);
    expect(lease.state).toBe('lost');
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    await until(a.state$, (s) => s === 'reconnected', 'a new session');
    expect(seen).toContain('lost');
    await until(a.leadership(group), (v) => v, 'leadership in the new session');
    // Nothing of the old session is left: only the new candidate.
    expect(await bed.inspector.children(`/tooz/locks/${name}`)).toEqual([]);
    expect(await bed.inspector.children(`/tooz/${group}`)).toEqual(['leader']);
    expect(await bed.inspector.children(`/tooz/${group}/leader`)).toHaveLength(1);
  });
});

describe('waiting through a session loss', () => {
  it('a waiter whose session expires queues again in the new one, and gets the lock', async () => {
    const a = await direct();
    const b = await proxied();
    const name = id('lock');
    const held = await a.acquire(name);
    const waiting = b.acquire(name, { wait: 60_000 });
    await waitUntil(async () => (await bed.inspector.children(`/tooz/locks/${name}`)).length === 2);
    await members.expireSession(b.memberId);
    await until(b.state$, (s) => s === 'reconnected', 'a new session');
    // Queued again behind the holder: the node of the old session is gone, the new one waits.
    await waitUntil(async () => (await bed.inspector.children(`/tooz/locks/${name}`)).length === 2);
    await held.release();
    const next = await waiting;
    expect(next.fencingToken > held.fencingToken).toBe(true);
    await next.release();
  });
});

describe('connection faults within the session', () => {
  it('a cut connection is re-established in the same session: nothing is lost', async () => {
    const a = await proxied(id('m'), 10_000);
    const b = await direct();
    const name = id('lock');
    const group = id('group');
    const seen = states(a);
    const { errors, lease } = await holdEverything(a, name, group, subscriptions);
    const leaseStates: string[] = [];
    subscriptions.push(lease.state$.subscribe((s) => leaseStates.push(s)));

    members.cut(a.memberId);
    await until(a.state$, (s) => s === 'reconnected', 'reconnection');
    expect(seen).toEqual(['connected', 'suspended', 'reconnected']);
    expect(leaseStates).toEqual(['held', 'at-risk', 'held']);
    expect(errors).toEqual([]);
    expect(await b.acquire(name, { wait: 250 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    expect((await b.group(group).members()).has(a.memberId)).toBe(true);
    await until(a.leadership(group), (v) => v, 'leadership back');
  });

  it('a suspended connection moves leases to at-risk and leadership to false at once; resumed in time, both come back', async () => {
    // Suspicion comes after two thirds of the session timeout; the resume must beat the rest of it.
    const a = await proxied(id('m'), 6_000);
    const group = id('group');
    const { errors, lease } = await holdEverything(a, id('lock'), group, subscriptions);
    members.suspend(a.memberId);
    await until(lease.state$, (s) => s === 'at-risk', 'at-risk');
    expect(a.leadership(group).value).toBe(false);
    members.resume(a.memberId);
    await until(lease.state$, (s) => s === 'held', 'held again');
    await until(a.leadership(group), (v) => v, 'leading again');
    expect(errors).toEqual([]);
  });
});

describe('server killed and restarted', () => {
  it('back within the session timeout: the session survives, nothing is lost', async () => {
    const a = await proxied(id('m'), 20_000);
    const group = id('group');
    const seen = states(a);
    const { errors, lease } = await holdEverything(a, id('lock'), group, subscriptions);
    await bed.server.kill();
    await until(a.state$, (s) => s === 'suspended', 'suspension');
    await bed.server.start();
    await until(a.state$, (s) => s === 'reconnected', 'reconnection');
    expect(seen).not.toContain('lost');
    expect(errors).toEqual([]);
    expect(lease.state).toBe('held');
    await until(a.leadership(group), (v) => v, 'leading again');
  });

  it('down past the session timeout: lost, then a new session once it is back', async () => {
    const a = await proxied();
    const name = id('lock');
    const group = id('group');
    const seen = states(a);
    const { errors, lease } = await holdEverything(a, name, group, subscriptions);
    await bed.server.kill();
    await until(a.state$, (s) => s === 'lost', 'loss');
    expect(lease.state).toBe('lost');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    await bed.server.start();
    await until(a.state$, (s) => s === 'reconnected', 'a new session');
    expect(seen.slice(0, 3)).toEqual(['connected', 'suspended', 'lost']);
    await until(a.leadership(group), (v) => v, 'leadership in the new session');
    // The restarted server expires the abandoned session in its turn: nothing of it lingers. (A client of
    // its own: the plain client has no handshake timeout, and one may have stuck on the restarting server.)
    const after = await Inspector.connect(`${bed.server.host}:${bed.server.port}`);
    try {
      await waitUntil(async () => (await after.childrenOrNone(`/tooz/locks/${name}`)).length === 0, 30_000);
      await waitUntil(async () => (await after.children(`/tooz/${group}/leader`)).length === 1, 30_000);
    } finally {
      after.close();
    }
  });
});
