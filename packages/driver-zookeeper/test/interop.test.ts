import { randomUUID } from 'node:crypto';
import { type Coordinator, connect } from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { startZookeeper, ToozPeer, until, type ZookeeperServer } from '@tooz/testing';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PythonCandidate } from './support/python-election.js';

// A TypeScript service and a Python tooz service on one ZooKeeper: same nodes, same recipes.
let server: ZookeeperServer;
let ts: Coordinator;
const pythons: AsyncDisposable[] = [];
const subscriptions: Subscription[] = [];

beforeAll(async () => {
  server = await startZookeeper();
  ts = await connect(zookeeper({ hosts: `${server.host}:${server.port}` }), { memberId: 'ts-member', ttl: 5_000 });
});
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  await Promise.all(pythons.splice(0).map((p) => p[Symbol.asyncDispose]()));
});
afterAll(async () => {
  await ts?.close();
  await server?.[Symbol.asyncDispose]();
});

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const url = () => `zookeeper://${server.host}:${server.port}`;

async function python(memberId: string): Promise<ToozPeer> {
  const peer = await ToozPeer.start({ url: url(), memberId });
  pythons.push(peer);
  return peer;
}

describe('interoperability with Python tooz', () => {
  it('sees each other as members, with capabilities', async () => {
    const py = await python('py-member');
    const group = id('group');
    await ts.group(group).create();
    await py.run('join', group, { weight: 2, tags: ['a', 'b'] });
    subscriptions.push(ts.group(group).join({ weight: 1 }).subscribe());
    const members = await until(ts.group(group).members$, (m) => m.size === 2, 'both members');
    expect(members.get('py-member')).toEqual({ weight: 2, tags: ['a', 'b'] });
    expect(await py.run('members', group)).toEqual(['py-member', 'ts-member']);
    await py.run('leave', group);
    await until(ts.group(group).members$, (m) => !m.has('py-member'), 'the Python member gone');
  });

  it('excludes each other on one lock', async () => {
    const py = await python('py-locker');
    const name = id('lock');
    const lease = await ts.acquire(name);
    expect(await py.run('try_lock', name)).toBe(false);
    await lease.release();
    expect(await py.run('try_lock', name)).toBe(true);
    expect(await ts.acquire(name, { wait: 250 }).catch((e: unknown) => e)).toHaveProperty('code', 'LOCK_TIMEOUT');
    const waiting = ts.acquire(name, { wait: 30_000 });
    await py.run('unlock', name);
    const next = await waiting;
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
  });

  it('share one election: leader$ names a Python leader, and a TypeScript candidate follows it', async () => {
    const group = id('group');
    await ts.group(group).create();
    const { candidate, elected } = await PythonCandidate.run(url(), 'py-leader', group);
    pythons.push(candidate);
    expect(elected).toBe(true);
    expect(await until(ts.leadership(group).leader$, (l) => l !== null, 'a leader')).toBe('py-leader');
    subscriptions.push(ts.leadership(group).subscribe());
    await candidate.standDown();
    await until(ts.leadership(group), (leading) => leading, 'leadership');
    expect(await until(ts.leadership(group).leader$, (l) => l === 'ts-member', 'ts-member leading')).toBe('ts-member');
  });
});
