import { connect, type Coordinator, LockLostError } from '@tooz/core';
import { rejectionOf, startConsul, until, waitUntil } from '@tooz/testing';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { consulTarget, destroySessionsOf } from './support/target.js';

const target = await consulTarget();
const open: Coordinator[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
let n = 0;
const name = (prefix: string) => `${prefix}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

describe('a session destroyed behind the holder', () => {
  it('tells the holder, hands the lock to the waiter, with a higher token', async () => {
    const [a, b] = [await target.members.add(), await target.members.add()];
    const lock = name('lock');
    const held = await a.coordinator.acquire(lock);
    const waiting = b.coordinator.acquire(lock, { wait: 30_000 });
    await destroySessionsOf(target, a.memberId);
    const next = await waiting;
    // Told before anyone else could act on it: the holder's signal had aborted by the time b held it.
    await until(held.state$, (state) => state === 'lost', 'the holder told of its loss');
    expect(held.signal.reason).toBeInstanceOf(LockLostError);
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    await next.release();
  });

  it('a member whose session is destroyed is reported left, and the member is told', async () => {
    const [a, b] = [await target.members.add(), await target.members.add()];
    const group = name('group');
    await b.coordinator.group(group).create();
    const left = firstValueFrom(
      b.coordinator.group(group).events$.pipe(filter((e) => e.type === 'left' && e.memberId === a.memberId)),
    );
    const errors: unknown[] = [];
    const joined = firstValueFrom(b.coordinator.group(group).members$.pipe(filter((m) => m.has(a.memberId))));
    const membership = a.coordinator
      .group(group)
      .join({})
      .subscribe({ error: (error) => errors.push(error) });
    await joined;
    await destroySessionsOf(target, a.memberId);
    await left;
    await waitUntil(() => errors.length > 0, 20_000, 'the member told of its loss');
    membership.unsubscribe();
  });
});

describe('the link suspended or cut', () => {
  it('a holder cut off past its TTL is told before the lock passes on', async () => {
    const [a, b] = [await target.members.add(), await target.members.add()];
    const lock = name('lock');
    const held = await a.coordinator.acquire(lock);
    target.members.suspend(a.memberId);
    const next = await b.coordinator.acquire(lock, { wait: 60_000 });
    // By the time b holds it, a already reads that it is lost (its deadline counts from its last confirmed renew's send).
    expect(held.state).toBe('lost');
    expect(held.signal.aborted).toBe(true);
    target.members.resume(a.memberId);
    await next.release();
  });

  it('a cut connection is made again and the hold survives', async () => {
    const [a, b] = [await target.members.add(), await target.members.add()];
    const lock = name('lock');
    const held = await a.coordinator.acquire(lock);
    target.members.cut(a.memberId);
    await waitUntil(
      async () => (await b.coordinator.acquire(lock, { wait: 0 }).catch((e) => e)) instanceof Error,
      10_000,
    );
    expect(await rejectionOf(b.coordinator.acquire(lock, { wait: 0 }))).toBeTruthy();
    await until(held.state$, (state) => state === 'held', 'held after the cut');
    await held.release();
  });
});

describe('a release or a leave whose answer never came', () => {
  const sessionsOf = async (memberId: string) => {
    const headers: Record<string, string> = target.token ? { 'X-Consul-Token': target.token } : {};
    const list = (await (await fetch(`${target.address}/v1/session/list`, { headers })).json()) as Array<{
      Name: string;
    }>;
    return list.filter((session) => session.Name === memberId).length;
  };

  it('a leave that times out is sent again in the background: the member key goes while the sessions live on', async () => {
    // Requests give up well within the TTL, so the sessions outlive the cut and only the retry can remove the key.
    const a = await target.members.add({ requestTimeout: Math.round(target.ttl / 8) });
    const b = await target.members.add();
    const group = name('group');
    await b.coordinator.group(group).create();
    let membership: Subscription | undefined;
    await new Promise<void>((resolve, reject) => {
      membership = a.coordinator
        .group(group)
        .join({})
        .subscribe({ next: () => resolve(), error: reject });
    });
    // The DELETE is held in the proxy until the request gives up, then dropped with the connection: it never lands.
    target.members.suspend(a.memberId);
    await a.coordinator.group(group).leave();
    target.members.cut(a.memberId);
    target.members.resume(a.memberId);
    expect((await b.coordinator.group(group).members()).has(a.memberId)).toBe(true);
    await waitUntil(async () => !(await b.coordinator.group(group).members()).has(a.memberId), 20_000, 'left');
    expect(await sessionsOf(a.memberId)).toBe(2);
    membership?.unsubscribe();
  });
});

describe.skipIf(target.real)('the server restarted', () => {
  it('keeping its data: holds survive, nobody else gets in', async () => {
    await using server = await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
    const [a, b] = [
      await connect(server.url, { memberId: name('a'), ttl: 3_000 }),
      await connect(server.url, { memberId: name('b'), ttl: 3_000 }),
    ];
    open.push(a, b);
    const lock = name('lock');
    const held = await a.acquire(lock);
    await server.restart({ keepState: true });
    await waitUntil(async () => (await b.acquire(lock, { wait: 0 }).catch((e) => e)) instanceof Error, 10_000);
    await until(held.state$, (state) => state === 'held', 'held after the restart');
    expect(held.signal.aborted).toBe(false);
    await held.release();
    await (await b.acquire(lock, { wait: 10_000 })).release();
  });

  it('losing its data: the holder is told, and locks and groups work again on new sessions', async () => {
    await using server = await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
    const a = await connect(server.url, { memberId: name('a'), ttl: 3_000 });
    open.push(a);
    const lock = name('lock');
    const held = await a.acquire(lock);
    await server.restart({ keepState: false });
    await until(held.state$, (state) => state === 'lost', 'the holder told of its loss');
    const again = await a.acquire(lock, { wait: 10_000 });
    await again.release();
    const group = name('group');
    await a.group(group).create();
    expect(await a.groups()).toContain(group);
  });
});
