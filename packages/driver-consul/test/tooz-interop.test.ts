/**
 * Python tooz 3.1.0's consul driver (Debian's python3-tooz on
 * python3-consul2: with python3-consul 0.7.1 it cannot start, as tooz passes
 * `token=` to `session.create`, which only python-consul2 takes) against the
 * compatible server, beside this driver. Both use `<ns>/locks/<name>` and
 * `<ns>/groups/<g>/[<member>]` in the namespace `tooz`, so locks exclude
 * each other and groups are shared; what differs is written in the README.
 */
import { type Coordinator, connect, GroupNotEmptyError, LockTimeoutError } from '@tooz/core';
import { type ConsulServer, rejectionOf, startConsul, ToozPeer, until, waitUntil } from '@tooz/testing';
import { toozLockConformance } from '@tooz/testing/conformance';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let server: ConsulServer;
const cleanup: Array<() => unknown> = [];
beforeAll(async () => {
  // Python's TTL is 10 s (python-consul2 refuses less); ours 2 s. Sessions die at 1x TTL.
  server = await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
});
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((step) => step()));
});
afterAll(async () => {
  await server?.close();
});

let counter = 0;
const uid = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

async function python(memberId = uid('py')): Promise<ToozPeer> {
  const peer = await ToozPeer.start({ url: `${server.url}?ttl=10`, memberId });
  cleanup.push(() => peer.stop());
  return peer;
}

async function sdk(memberId = uid('ts')): Promise<Coordinator> {
  const c = await connect(server.url, { memberId, ttl: 2_000 });
  cleanup.push(() => c.close());
  return c;
}

async function joined(c: Coordinator, group: string, capabilities: Record<string, unknown>): Promise<Subscription> {
  let subscription: Subscription | undefined;
  await new Promise<void>((resolve, reject) => {
    subscription = c
      .group(group)
      .join(capabilities)
      .subscribe({ next: () => resolve(), error: reject });
  });
  cleanup.push(() => subscription?.unsubscribe());
  return subscription as Subscription;
}

const sessionOf = (memberId: string) => server.sessions().find((session) => session.Name === memberId);

toozLockConformance({
  python: () => python(),
  // One lock layout, tooz's own key: there is no lock mode to choose.
  sdk: () => sdk(),
  id: uid,
  // Python's value is "I got it!": the driver names the holder by its session's Name, its member id.
  pythonHolder: async (name) => {
    const entry = server.entry(`tooz/locks/${name}`);
    const session = server.sessions().find((s) => s.ID === entry?.Session);
    if (!entry || !session) throw new Error(`${name} is not held`);
    return { memberId: session.Name, token: BigInt(entry.ModifyIndex) };
  },
  // tooz retries a blocking acquire with an exponential wait of at most 1 s.
  pythonRetry: 1_000,
});

describe("tooz's consul lock layout", () => {
  it('one key, tooz/locks/<name>: Python writes "I got it!" and, releasing, its session id; the SDK its member id, then ""', async () => {
    const py = await python('py-layout');
    const c = await sdk('ts-layout');
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    const theirs = server.entry(`tooz/locks/${name}`);
    expect(theirs?.Value?.toString()).toBe('I got it!');
    expect(theirs?.Session).toBe(sessionOf('py-layout')?.ID);
    expect(await py.run('unlock', name)).toBe(true);
    expect(server.entry(`tooz/locks/${name}`)?.Value?.toString()).toBe(sessionOf('py-layout')?.ID);

    const lease = await c.acquire(name, { wait: 0 });
    expect(server.entry(`tooz/locks/${name}`)?.Value?.toString()).toBe('ts-layout');
    await lease.release();
    expect(server.entry(`tooz/locks/${name}`)).toMatchObject({ Session: undefined });
  });

  it("Python's session has Consul's default 15 s lock-delay: after it is invalidated the SDK waits it out, retrying every second", async () => {
    const py = await python('py-delay');
    const c = await sdk();
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    expect(sessionOf('py-delay')?.LockDelay).toBe(15_000_000_000);
    const waiting = c.acquire(name, { wait: 40_000 });
    server.destroySession(sessionOf('py-delay')?.ID ?? '');
    // Free, yet refused while the lock-delay lasts.
    expect(await c.lockHolder(name)).toBeNull();
    expect(await rejectionOf(c.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    const lease = await waiting;
    expect(lease.state).toBe('held');
    await lease.release();
  });

  it("the SDK's lock-delay is 0: Python takes a lock at once after the SDK holder's sessions are invalidated", async () => {
    const py = await python();
    const c = await sdk('ts-gone');
    const name = uid('lock');
    const lease = await c.acquire(name, { wait: 0 });
    for (const session of server.sessions().filter((s) => s.Name === 'ts-gone')) server.destroySession(session.ID);
    await until(lease.state$, (state) => state === 'lost', 'the SDK holder told');
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await py.run('unlock', name)).toBe(true);
  });
});

describe('groups shared with Python tooz 3.1.0', () => {
  it('sees Python members and their capabilities, and Python sees the SDK member and its capabilities', async () => {
    const py = await python('py-g');
    const c = await sdk('ts-g');
    const group = uid('group');
    expect(await py.run('create', group)).toBe(true);
    expect(await c.groups()).toContain(group);
    expect(await py.run('join', group, { role: 'py', weight: 2 })).toBe(true);
    await joined(c, group, { role: 'ts', weight: 1 });
    expect(await py.run('members', group)).toEqual(['py-g', 'ts-g']);
    expect(await py.run('capabilities', group, 'ts-g')).toEqual({ role: 'ts', weight: 1 });
    const members = await c.group(group).members();
    expect(members.get('py-g')).toEqual({ role: 'py', weight: 2 });
    expect(members.get('ts-g')).toEqual({ role: 'ts', weight: 1 });
    // Python's member key is not bound to its session; the SDK's is (Behavior delete).
    expect(server.entry(`tooz/groups/${group}/py-g`)?.Session).toBeUndefined();
    expect(server.entry(`tooz/groups/${group}/ts-g`)?.Session).toBe(
      server.sessions().find((s) => s.Name === 'ts-g' && s.Behavior === 'delete')?.ID,
    );
    // Neither deletes a group the other is a member of.
    expect(await rejectionOf(c.group(group).delete())).toBeInstanceOf(GroupNotEmptyError);
    await expect(py.run('delete', group)).rejects.toThrow(/not empty/i);
    expect(await py.run('leave', group)).toBe(true);
  });

  it('pushes Python joins and leaves to events$; a dead Python member stays, a dead SDK member goes for both', async () => {
    const py = await python('py-live');
    const c = await sdk();
    const other = await sdk('ts-dies');
    const group = uid('group');
    await c.group(group).create();
    const events: Array<{ type: string; memberId?: string }> = [];
    const subscription = c.group(group).events$.subscribe((event) => events.push(event));
    cleanup.push(() => subscription.unsubscribe());
    const saw = (type: string, memberId: string) => events.some((e) => e.type === type && e.memberId === memberId);

    expect(await py.run('join', group, { weight: 3 })).toBe(true);
    await waitUntil(() => saw('joined', 'py-live'), 15_000, 'the Python join in events$');
    expect(await py.run('leave', group)).toBe(true);
    await waitUntil(() => saw('left', 'py-live'), 15_000, 'the Python leave in events$');

    await joined(other, group, {});
    expect(await py.run('members', group)).toEqual(['ts-dies']);
    // The SDK member's sessions end: its key goes with them, for Python too.
    for (const session of server.sessions().filter((s) => s.Name === 'ts-dies')) server.destroySession(session.ID);
    await waitUntil(() => saw('left', 'ts-dies'), 15_000, 'the SDK member gone');
    expect(await py.run('members', group)).toEqual([]);

    // Python joins and dies without leaving: its session goes, its member key stays (tooz 3.1.0 binds none).
    expect(await py.run('join', group, {})).toBe(true);
    await py.run('crash');
    server.destroySession(sessionOf('py-live')?.ID ?? '');
    expect(sessionOf('py-live')).toBeUndefined();
    expect([...(await c.group(group).members()).keys()]).toEqual(['py-live']);
  });

  it("leader seats live under tooz/leaders/, which Python's get_groups does not list", async () => {
    const py = await python();
    const c = await sdk();
    const group = uid('group');
    await c.group(group).create();
    await until(c.leadership(group), (leading) => leading, 'leading');
    expect(server.entry(`tooz/leaders/${group}`)?.Session).toBeDefined();
    expect(await py.run('groups')).toEqual([...(await c.groups())].sort());
    expect(await py.run('groups')).not.toContain('leaders');
  });
});
