import { type AsyncLockLease, type Coordinator, connect, LockTimeoutError, type MembershipEvent } from '@tooz/core';
import { type RedisServer, startRedis, ToozPeer, waitUntil } from '@tooz/testing';
import { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * Python tooz (Debian's 3.1.0, and the latest when TOOZ_LATEST_PYTHONPATH
 * names a tooz source tree) and this driver on one server, in tooz's
 * namespace. The Python peers beat every second (membership_timeout=2);
 * the coordinators here use a 2 s TTL, so their watchers re-check a group
 * that has had a Python member every 500 ms (TTL/4). Waits are bounded
 * hang guards, set far above those periods; none asserts a duration.
 */
const LATEST = process.env.TOOZ_LATEST_PYTHONPATH;
const TTL = 2_000;

let server: RedisServer;
let admin: Redis;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

/** Lock TTL 30 s: a waiter that counted on the holder's TTL would wait that long, far past every bound here. */
const peerUrl = () => `${server.url}?namespace=_tooz&membership_timeout=2&lock_timeout=30`;

async function peer(memberId: string, env?: Record<string, string>): Promise<ToozPeer> {
  const started = await ToozPeer.start({ url: peerUrl(), memberId, ...(env ? { env } : {}) });
  cleanup.push(() => started.stop());
  return started;
}

async function coordinator(memberId: string, query = ''): Promise<Coordinator> {
  // tooz's default namespace: with it, both libraries use the same keys.
  const c = await connect(`${server.url}${query}`, { memberId, namespace: '_tooz', ttl: TTL });
  cleanup.push(() => c.close());
  return c;
}

function keep(subscription: Subscription): Subscription {
  cleanup.push(() => subscription.unsubscribe());
  return subscription;
}

async function joined(c: Coordinator, group: string, capabilities: Record<string, unknown>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    keep(
      c
        .group(group)
        .join(capabilities)
        .subscribe({ next: () => resolve(), error: reject }),
    );
  });
}

/** The latest value of a stream, kept for waitUntil. */
function latest<T>(source: { subscribe(next: (value: T) => void): Subscription }): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  keep(
    source.subscribe((value) => {
      box.value = value;
    }),
  );
  return box;
}

/**
 * Counts the acquire attempts of one member, as the server runs them
 * (MONITOR: each EVALSHA naming the member id). Two refused attempts mean
 * the waiter has looked, subscribed to the lock's channel and looked again:
 * it waits, and a release from then on must wake it.
 */
async function attempts(memberId: string): Promise<{ count: number }> {
  const monitor = await admin.monitor();
  cleanup.push(() => monitor.disconnect());
  const seen = { count: 0 };
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (/^eval(sha)?$/i.test(args[0] ?? '') && args.includes(memberId)) seen.count++;
  });
  return seen;
}

const acquired = (lease: Promise<AsyncLockLease>) => {
  const state: { lease?: AsyncLockLease; error?: unknown } = {};
  lease.then(
    (value) => {
      state.lease = value;
    },
    (error: unknown) => {
      state.error = error;
    },
  );
  return state;
};

describe('groups shared with Python tooz 3.1.0', () => {
  it('sees tooz members, and is seen by them, in one group', async () => {
    const ts = await coordinator('ts');
    const group = ts.group('shared');
    await group.create();
    await joined(ts, 'shared', { role: 'ts', weight: 1 });
    const py = await peer('py');
    await py.run('join', 'shared', { weight: 2 });

    expect(await py.run('members', 'shared')).toEqual(['py', 'ts']);
    expect(await py.run('capabilities', 'shared', 'ts')).toEqual({ role: 'ts', weight: 1 });
    const members = await group.members();
    expect(members.get('py')).toEqual({ weight: 2 });
    expect(members.get('ts')).toEqual({ role: 'ts', weight: 1 });

    // tooz's liveness is the member's beat key: once it lapses, a one-shot read prunes the member, as tooz's does.
    await py.run('crash');
    const reader = await coordinator('reader');
    await waitUntil(
      async () => !(await reader.group('shared').members()).has('py'),
      15_000,
      'the dead tooz member pruned',
    );
    expect([...(await reader.group('shared').members()).keys()]).toEqual(['ts']);
  });

  it('follows Python joins, leaves and deaths in a long-lived members$ and events$ (issue 14 #5)', async () => {
    const ts = await coordinator('ts-live');
    const group = ts.group('live');
    await group.create();
    await joined(ts, 'live', { weight: 1 });
    const view = latest(group.members$);
    const events: MembershipEvent[] = [];
    keep(group.events$.subscribe((event) => events.push(event)));
    await waitUntil(() => view.value?.has('ts-live') === true);
    const saw = (type: MembershipEvent['type'], count = 1) =>
      events.filter((e) => e.type === type && e.memberId === 'py-live').length >= count;

    const py = await peer('py-live');
    await py.run('join', 'live', { weight: 3 });
    await waitUntil(() => view.value?.has('py-live') === true, 15_000, 'the Python join in members$');
    expect(view.value?.get('py-live')).toEqual({ weight: 3 });
    await waitUntil(() => saw('joined'), 15_000, 'the Python join in events$');

    await py.run('leave', 'live');
    await waitUntil(() => view.value?.has('py-live') === false, 15_000, 'the Python leave in members$');
    await waitUntil(() => saw('left'), 15_000, 'the Python leave in events$');

    await py.run('join', 'live', { weight: 3 });
    await waitUntil(() => view.value?.has('py-live') === true, 15_000, 'the Python member back');
    // Dies without leaving: gone once its beat key lapses (membership_timeout=2), as tooz itself decides.
    await py.run('crash');
    await waitUntil(() => view.value?.has('py-live') === false, 15_000, 'the dead Python member gone from members$');
    await waitUntil(() => saw('left', 2), 15_000, 'the dead Python member in events$');
    expect((await group.members()).has('py-live')).toBe(false);
  });

  it('places objects as Python tooz places them once the Python member joined (issue 14 #5)', async () => {
    const ts = await coordinator('ts-ring');
    await ts.group('ring').create();
    await joined(ts, 'ring', { weight: 1 });
    const ring = latest(ts.group('ring').partitioner());
    const py = await peer('py-ring');
    await py.run('join_partitioned', 'ring', 2);
    await waitUntil(() => ring.value?.members.get('py-ring') === 2, 15_000, 'the Python member in partitioner()');
    const partitioner = ring.value;
    const objects = Array.from({ length: 300 }, (_, i) => `object-${i}`);
    const differ: string[] = [];
    for (const object of objects) {
      const theirs = (await py.run('members_for', 'ring', object)) as string[];
      if ([...(partitioner?.membersFor(object) ?? [])].join() !== theirs.join()) differ.push(object);
    }
    expect(differ).toEqual([]);
  });

  it('follows a group where only Python members and watchers are (issue 14 #5)', async () => {
    const py = await peer('py-solo');
    await py.run('create', 'solo');
    await py.run('join', 'solo', { weight: 1 });
    // A watcher, not a member: no refresh of its own notices anything here.
    const watcher = await coordinator('watcher');
    const view: { value?: ReadonlyMap<string, unknown>; error?: unknown } = {};
    keep(
      watcher.group('solo').members$.subscribe({
        next: (value) => {
          view.value = value;
        },
        error: (error: unknown) => {
          view.error = error;
        },
      }),
    );
    await waitUntil(() => view.value?.has('py-solo') === true);

    await py.run('leave', 'solo');
    await waitUntil(() => view.value?.has('py-solo') === false, 15_000, 'the Python leave');
    expect((await watcher.group('solo').members()).size).toBe(0);
    // The group has had a Python member: its watchers keep checking it, so a Python join is seen too.
    await py.run('join', 'solo', { weight: 1 });
    await waitUntil(() => view.value?.has('py-solo') === true, 15_000, 'the Python join');
    // ... and a delete by Python tooz (which publishes nothing) ends the view.
    await py.run('leave', 'solo');
    await py.run('delete', 'solo');
    await waitUntil(() => view.error !== undefined, 15_000, 'the view ended by the delete');
    expect(view.error).toMatchObject({ code: 'GROUP_NOT_FOUND' });
  });

  it('marks only groups that had a Python member (their watchers re-check them; others are not polled)', async () => {
    const ts = await coordinator('ts-marks');
    await ts.group('sdk-only').create();
    await joined(ts, 'sdk-only', { weight: 1 });
    const view = latest(ts.group('sdk-only').members$);
    await waitUntil(() => view.value?.has('ts-marks') === true);
    expect(await admin.exists('_tooz_members:sdk-only:python')).toBe(0);
    expect(await admin.exists('_tooz_members:shared:python')).toBe(1);
  });
});

describe('locks shared with Python tooz', () => {
  it('wakes a waiter at once when a holder in tooz 9.x format lets go (issue 14 #6)', async () => {
    const ts = await coordinator('ts-waiter');
    const tries = await attempts('ts-waiter');
    // What Python tooz 9.x writes (redis-py's Lock: a uuid1 hex, SET NX PX); its release publishes nothing.
    await admin.set('_tooz_nine_lock', 'f3c4b2a1d0e94f7a8b6c5d4e3f2a1b0c', 'PX', 30_000);
    const waiting = acquired(ts.acquire('nine', { wait: 60_000 }));
    await waitUntil(() => tries.count >= 2, 10_000, 'the waiter refused twice');
    // The holder lets go as redis-py's release script does: a DEL, and no publication.
    await admin.del('_tooz_nine_lock');
    await waitUntil(() => waiting.lease !== undefined || waiting.error !== undefined, 10_000, 'the waiter woken');
    expect(waiting.error).toBeUndefined();
    await waiting.lease?.release();
  });

  it("lockMode 'tooz' excludes Python tooz 3.1.0 both ways, for bytes and str names (issue 14 #7)", async () => {
    const ts = await coordinator('ts-tooz', '?lock_mode=tooz');
    const tries = await attempts('ts-tooz');
    const py = await peer('py-locks');
    // Quotes, a backslash, ':' and '%' (escaped in this driver's own key), non-ASCII: repr() and the raw name.
    for (const name of ['plain', "it's:100%", 'back\\slash "é"']) {
      expect(await py.run('try_lock', name)).toBe(true);
      await expect(ts.acquire(name, { wait: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
      // A waiter is woken once Python lets go (tooz publishes nothing: it looks again every 100 ms).
      const before = tries.count;
      const waiting = acquired(ts.acquire(name, { wait: 60_000 }));
      await waitUntil(() => tries.count >= before + 2, 10_000, 'the waiter refused twice');
      expect(await py.run('unlock', name)).toBe(true);
      await waitUntil(() => waiting.lease !== undefined || waiting.error !== undefined, 10_000, 'the waiter woken');
      expect(waiting.error).toBeUndefined();
      expect(await py.run('try_lock', name)).toBe(false);
      expect(await py.run('try_lock_text', name)).toBe(false);
      await waiting.lease?.release();
      expect(await py.run('try_lock_text', name)).toBe(true);
      await expect(ts.acquire(name, { wait: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
      expect(await py.run('unlock_text', name)).toBe(true);
      const lease = await ts.acquire(name, { wait: 10_000 });
      await lease.release();
    }
  });

  it("lockMode 'tooz' keeps leader seats apart from Python tooz 3.1.0's leader (issue 14 #7)", async () => {
    const ts = await coordinator('ts-seat', '?lock_mode=tooz');
    const tries = await attempts('ts-seat');
    const py = await peer('py-seat');
    // tooz's leader of group g is the lock named b"leader_of_g".
    expect(await py.run('try_lock', 'leader_of_seat')).toBe(true);
    const leadership = ts.leadership('seat');
    const leader = latest(leadership.leader$);
    keep(leadership.subscribe());
    await waitUntil(() => leader.value === '', 10_000, 'the Python leader seen');
    await waitUntil(() => tries.count >= 2, 10_000, 'the candidate refused twice');
    expect(leadership.value).toBe(false);
    expect(await py.run('unlock', 'leader_of_seat')).toBe(true);
    await waitUntil(() => leadership.value === true, 10_000, 'the seat taken after Python let go');
    expect(await py.run('try_lock', 'leader_of_seat')).toBe(false);
  });

  it("names tooz 3.1.0's keys with Python's own repr() of the name", async () => {
    const py = await peer('py-repr');
    const { pythonBytesRepr } = await import('../src/keys.js');
    for (const name of ['plain', "it's", 'both \'"', 'tab\there\n\r', 'é \u0001\u007f', 'back\\slash']) {
      const bytes = new Uint8Array(Buffer.from(name, 'utf8'));
      expect(pythonBytesRepr(bytes)).toBe(await py.run('str', bytes));
    }
  });
});

describe.runIf(LATEST)('Python tooz latest (TOOZ_LATEST_PYTHONPATH)', () => {
  const env = () => ({ PYTHONPATH: LATEST ?? '' });

  it('excludes each other on locks in both lock modes, and a waiter is woken when Python lets go', async () => {
    const py = await peer('py-latest', env());
    // In the native mode only names without ':' and '%' share tooz's key (this driver escapes those).
    for (const [query, name] of [
      ['', 'latest'],
      ['?lock_mode=tooz', "latest:it's 100%"],
    ] as const) {
      const memberId = `ts-latest${query ? '-tooz' : ''}`;
      const ts = await coordinator(memberId, query);
      const tries = await attempts(memberId);
      expect(await py.run('try_lock', name)).toBe(true);
      await expect(ts.acquire(name, { wait: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
      const before = tries.count;
      const waiting = acquired(ts.acquire(name, { wait: 60_000 }));
      await waitUntil(() => tries.count >= before + 2, 10_000, 'the waiter refused twice');
      expect(await py.run('unlock', name)).toBe(true);
      await waitUntil(() => waiting.lease !== undefined || waiting.error !== undefined, 10_000, 'the waiter woken');
      expect(waiting.error).toBeUndefined();
      expect(await py.run('try_lock', name)).toBe(false);
      await waiting.lease?.release();
    }
  });

  it('follows its joins and leaves in members$', async () => {
    const ts = await coordinator('ts-latest-group');
    await ts.group('latest').create();
    await joined(ts, 'latest', { weight: 1 });
    const view = latest(ts.group('latest').members$);
    const py = await peer('py-latest-group', env());
    await py.run('join', 'latest', { weight: 2 });
    await waitUntil(() => view.value?.has('py-latest-group') === true, 15_000, 'the join');
    await py.run('leave', 'latest');
    await waitUntil(() => view.value?.has('py-latest-group') === false, 15_000, 'the leave');
  });
});
