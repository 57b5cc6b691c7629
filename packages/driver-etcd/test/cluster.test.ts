import { type Coordinator, connect, type ConnectionState } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type EtcdCluster, startEtcdCluster, waitUntil } from '@tooz/testing';
import { uid } from './helpers.js';

const cluster: EtcdCluster = await startEtcdCluster(3);
const hosts = cluster.members.map((m) => `${m.host}:${m.port}`);
const open: Coordinator[] = [];
afterEach(async () => {
  // Every member back for the next test.
  for (const member of cluster.members) if (!member.running) await member.start();
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await cluster[Symbol.asyncDispose]();
});

async function coordinator(ttl: number): Promise<{ coordinator: Coordinator; states: ConnectionState[] }> {
  const c = await connect(etcd({ hosts, requestTimeout: 2_000 }), { memberId: uid('m'), ttl });
  open.push(c);
  const states: ConnectionState[] = [];
  c.state$.subscribe((state) => states.push(state));
  return { coordinator: c, states };
}

const joined = (c: Coordinator, group: string) =>
  new Promise<{ errors: unknown[] }>((resolve, reject) => {
    const errors: unknown[] = [];
    let done = false;
    c.group(group)
      .join({ weight: 1 })
      .subscribe({
        next: () => {
          done = true;
          resolve({ errors });
        },
        error: (error: unknown) => (done ? errors.push(error) : reject(error)),
      });
  });

describe('a cluster of three', () => {
  it('carries on when the leader member is killed: nothing held is lost', async () => {
    const { coordinator: a, states } = await coordinator(10_000);
    const { coordinator: watcher } = await coordinator(10_000);
    const group = uid('g');
    await a.group(group).create();
    const lockLost: unknown[] = [];
    const lease = await a.acquire(uid('lock'));
    lease.signal.addEventListener('abort', () => lockLost.push(lease.signal.reason));
    const membership = await joined(a, group);
    const events: string[] = [];
    watcher.group(group).events$.subscribe((e) => events.push(`${e.type} ${e.memberId}`));
    await watcher.group(group).members();

    const leader = await cluster.leader();
    await leader.kill();

    // New work goes through the surviving members...
    const second = await a.acquire(uid('lock'), { wait: 30_000 });
    await second.release();
    const { coordinator: b } = await coordinator(10_000);
    await joined(b, group);
    await waitUntil(() => events.includes(`joined ${b.memberId}`), 30_000, 'the join seen by a watcher');
    // ...and what was held before is still held.
    await waitUntil(() => lease.state === 'held', 30_000, 'the first lease held');
    expect(lockLost).toEqual([]);
    expect(membership.errors).toEqual([]);
    expect(states).not.toContain('lost');
    expect((await watcher.group(group).members()).has(a.memberId)).toBe(true);
    await lease.release();
  });

  it('with two members killed: suspended, then lost after the TTL; recovered once they are back', async () => {
    const { coordinator: a, states } = await coordinator(3_000);
    const name = uid('lock');
    const lease = await a.acquire(name);
    const [first, second] = cluster.members;
    if (!first || !second) throw new Error('cluster too small');
    await Promise.all([first.kill(), second.kill()]);
    await waitUntil(() => states.includes('lost'), 30_000, 'lost');
    expect(states.indexOf('suspended')).toBeGreaterThan(-1);
    expect(states.indexOf('suspended')).toBeLessThan(states.indexOf('lost'));
    expect(lease.state).toBe('lost');
    await Promise.all([first.start(), second.start()]);
    await waitUntil(() => a.state === 'reconnected', 60_000, 'a new session');
    const again = await a.acquire(name, { wait: 30_000 });
    expect(again.fencingToken > lease.fencingToken).toBe(true);
    await again.release();
  });
});
