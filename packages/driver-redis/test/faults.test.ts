import {
  type Coordinator,
  connect,
  type LeaseState,
  LockLostError,
  LockTimeoutError,
  MembershipLostError,
} from '@tooz/core';
import { Peer, type RedisServer, startRedis, until, waitUntil } from '@tooz/testing';
import { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisMembers } from './support/members.js';

const PATIENCE = 20_000;
const DRIVER = new URL('../src/index.ts', import.meta.url);
let server: RedisServer;
let members: RedisMembers;
const open: Coordinator[] = [];

beforeAll(async () => {
  server = await startRedis({ persistence: 'none' });
  members = new RedisMembers(server);
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await members?.close();
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function coordinator(options: { ttl?: number; leaderTtl?: number; proxied?: boolean } = {}) {
  const given = { memberId: unique('m'), ttl: options.ttl ?? 3_000, leaderTtl: options.leaderTtl };
  const c = options.proxied ? (await members.add(given)).coordinator : await connect(server.url, given);
  open.push(c);
  return c;
}

/** A coordinator in a process of its own, which the test can stop (SIGSTOP) or kill. */
function peer(memberId: string, ttl: number): Promise<Peer> {
  return Peer.start({ driver: DRIVER, url: server.url, options: { memberId, ttl } });
}

describe('server restarted without persistence', () => {
  it('tells every holder its locks and memberships are lost, and never says held again', async () => {
    const a = await coordinator();
    const b = await coordinator();
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
        error: (e: unknown) => membershipErrors.push(e),
      });
    await waitUntil(() => joined, PATIENCE, 'joined');
    const name = unique('lock');
    const lease = await a.acquire(name, { ttl: 30_000 });
    const states: LeaseState[] = [];
    const leadership = a.leadership(unique('seat'));
    const leading: boolean[] = [];
    const seat = leadership.subscribe((value) => leading.push(value));
    await leadership.whenLeading();
    const afterRestart: LeaseState[] = [];
    let restarting = false;
    lease.state$.subscribe((state) => {
      states.push(state);
      if (restarting) afterRestart.push(state);
    });

    restarting = true;
    await server.restart();

    await until(lease.state$, (state) => state === 'lost', 'the lease lost', PATIENCE);
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    await waitUntil(() => membershipErrors.length > 0, PATIENCE, 'membership lost');
    expect(membershipErrors[0]).toBeInstanceOf(MembershipLostError);
    // Told at-risk, then lost: never held again for a key the server no longer has.
    expect(afterRestart.filter((state) => state === 'held')).toEqual([]);
    expect(afterRestart).toContain('lost');
    // The seat went with the data: false, then this candidate leads again on the new server.
    await waitUntil(() => leading.lastIndexOf(false) > leading.indexOf(true), PATIENCE, 'leadership false');
    await leadership.whenLeading();
    seat.unsubscribe();

    // Fencing survives the lost counter: the next holder's token is higher.
    const after = await b.acquire(name, { wait: 0 });
    expect(after.fencingToken > lease.fencingToken).toBe(true);
    await after.release();
  });
});

describe('client paused with SIGSTOP past its TTL', () => {
  it('is told on resume, and the new holder has a higher fencing token', async () => {
    const name = unique('lock');
    await using child = await peer(unique('child'), 1_500);
    await child.lock(name);
    const held = await child.waitFor((e) => e.kind === 'lock' && e.state === 'held', 'the lock held');
    const childToken = BigInt(held.kind === 'lock' ? held.token : -1);
    process.kill(child.pid, 'SIGSTOP');
    const b = await coordinator();
    const lease = await b.acquire(name, { wait: PATIENCE });
    expect(lease.fencingToken > childToken).toBe(true);
    process.kill(child.pid, 'SIGCONT');
    const lost = await child.waitFor((e) => e.kind === 'lock-error', 'the loss reported');
    expect(lost).toMatchObject({ error: 'LockLostError', reason: 'expired' });
    // The child's lock was not held twice: b still holds it, and the child's release changed nothing.
    expect(lease.state).toBe('held');
    const c = await coordinator();
    expect(await c.acquire(name, { wait: 0 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    await lease.release();
  });
});

describe('a member process killed (no leave, no refresh)', () => {
  it('is reported left to every watcher, which do not poll the members', async () => {
    const watchers = [await coordinator(), await coordinator(), await coordinator()];
    const group = unique('group');
    await watchers[0]?.group(group).create();
    const events = watchers.map((w) => w.group(group).events$);
    const lefts = events.map((events$) =>
      until(events$, (e) => e.type === 'left' && e.memberId === 'crashing', 'crashing left', PATIENCE),
    );
    const children = await Promise.all(['crashing', 'staying-1', 'staying-2'].map((id) => peer(id, 1_200)));
    const admin = new Redis(server.url);
    try {
      await Promise.all(children.map((child) => child.join(group)));
      await Promise.all(
        children.map((child) => child.waitFor((e) => e.kind === 'membership' && e.state === 'joined', 'joined')),
      );
      // Every command the server runs from here on: how do the watchers find the dead member?
      const monitor = await admin.monitor();
      const scripts: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toLowerCase() === 'evalsha' && args[3] === `tooz_group:${group}`) scripts.push(args);
      });
      const start = performance.now();
      await children[0]?.kill();
      for (const left of lefts) expect(await left).toMatchObject({ type: 'left', memberId: 'crashing' });
      const elapsed = performance.now() - start;
      monitor.disconnect();
      // EVALSHA sha 3 group deadlines owners ...: a member read passes the inbox and beat prefixes, the expiry check the inbox alone.
      const reads = scripts.filter((args) => args.length === 8 && args[7] === 'tooz_beats:');
      const expiryChecks = scripts.filter((args) => args.length === 7 && args[6] === 'tooz_inbox:');
      expect(reads).toEqual([]);
      // One timer per watcher at the earliest deadline: a few checks per TTL, whatever the group size.
      expect(expiryChecks.length).toBeLessThanOrEqual(watchers.length * (Math.ceil(elapsed / 600) + 3));
      const members = await watchers[1]?.group(group).members();
      expect([...(members?.keys() ?? [])].sort()).toEqual(['staying-1', 'staying-2']);
    } finally {
      admin.disconnect();
      await Promise.all(children.map((child) => child.kill()));
    }
  });
});

describe('connection suspended and cut through the fault proxy', () => {
  /** Counts emissions at which more than one candidate leads. */
  function watchOverlap(candidates: Coordinator[], group: string): { overlaps: () => number; stop: () => void } {
    let overlaps = 0;
    const subscriptions: Subscription[] = candidates.map((c) =>
      c.leadership(group).subscribe(() => {
        if (candidates.filter((x) => x.leadership(group).value).length > 1) overlaps++;
      }),
    );
    const stop = () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
    return { overlaps: () => overlaps, stop };
  }

  it('cut: leadership false at once, then leads again on reconnect; never two leaders', async () => {
    const a = await coordinator({ proxied: true, leaderTtl: 5_000 });
    const b = await coordinator({ proxied: true, leaderTtl: 5_000 });
    const group = unique('group');
    const watch = watchOverlap([a], group);
    await a.leadership(group).whenLeading();
    const other = watchOverlap([a, b], group);
    const lease = await a.acquire(unique('lock'), { ttl: 5_000 });

    members.cut(a.memberId);
    await until(a.leadership(group), (v) => !v, 'a not leading', PATIENCE);
    // The seat and the lock are still a's on the server: after reconnecting it leads and holds again.
    await until(a.leadership(group), (v) => v, 'a leading again', PATIENCE);
    await until(lease.state$, (state) => state === 'held', 'the lease held again', PATIENCE);
    expect(b.leadership(group).value).toBe(false);
    expect(other.overlaps()).toBe(0);
    watch.stop();
    other.stop();
    await lease.release();
  });

  it('suspended past the TTL: false at once, the other candidate takes over, the first is told it lost', async () => {
    const a = await coordinator({ proxied: true, leaderTtl: 1_500, ttl: 1_500 });
    const b = await coordinator({ proxied: true, leaderTtl: 1_500, ttl: 1_500 });
    const group = unique('group');
    const overlap = watchOverlap([a, b], group);
    await waitUntil(() => a.leadership(group).value || b.leadership(group).value, PATIENCE, 'a leader');
    const [leader, follower] = a.leadership(group).value ? [a, b] : [b, a];
    const name = unique('lock');
    const lease = await leader.acquire(name, { ttl: 1_500 });

    members.suspend(leader.memberId);
    await until(leader.leadership(group), (v) => !v, 'the leader not leading', PATIENCE);
    await until(follower.leadership(group), (v) => v, 'the follower leading', PATIENCE);
    const taken = await follower.acquire(name, { wait: PATIENCE });
    expect(lease.state).toBe('lost');
    expect(taken.fencingToken > lease.fencingToken).toBe(true);

    members.resume(leader.memberId);
    // Back online, the old leader reads the seat again and finds it taken: it stays a follower.
    await until(leader.state$, (state) => state === 'reconnected', 'the old leader reconnected', PATIENCE);
    await until(leader.leadership(group).leader$, (id) => id === follower.memberId, 'the seat read as taken', PATIENCE);
    expect(leader.leadership(group).value).toBe(false);
    expect(follower.leadership(group).value).toBe(true);
    expect(overlap.overlaps()).toBe(0);
    overlap.stop();
    await taken.release();
  });
});
