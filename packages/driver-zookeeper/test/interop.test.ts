import { randomUUID } from 'node:crypto';
import { type Coordinator, connect } from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startZookeeper, type ZookeeperServer } from '@tooz/testing';
import { PythonTooz } from './support/python-tooz.js';

// A TypeScript service and a Python tooz service on one ZooKeeper: same nodes, same recipes.
let server: ZookeeperServer;
let ts: Coordinator;
const pythons: PythonTooz[] = [];
const subscriptions: Subscription[] = [];

beforeAll(async () => {
  server = await startZookeeper();
  ts = await connect(zookeeper({ hosts: `${server.host}:${server.port}` }), { memberId: 'ts-member', ttl: 5_000 });
});
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  await Promise.all(pythons.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await ts?.close();
  await server?.[Symbol.asyncDispose]();
});

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function python(memberId: string): PythonTooz {
  const p = PythonTooz.start(`zookeeper://${server.host}:${server.port}`, memberId);
  pythons.push(p);
  return p;
}

describe('interoperability with Python tooz', () => {
  it('sees each other as members, with capabilities', async () => {
    const py = python('py-member');
    const group = id('group');
    await ts.group(group).create();
    await py.call({ op: 'join', group, caps: { weight: 2, tags: ['a', 'b'] } });
    subscriptions.push(ts.group(group).join({ weight: 1 }).subscribe());
    const members = await firstValueFrom(ts.group(group).members$.pipe(filter((m) => m.size === 2)));
    expect(members.get('py-member')).toEqual({ weight: 2, tags: ['a', 'b'] });
    expect(await py.call({ op: 'members', group })).toEqual(['py-member', 'ts-member']);
    await py.call({ op: 'leave', group });
    await firstValueFrom(ts.group(group).members$.pipe(filter((m) => !m.has('py-member'))));
  });

  it('excludes each other on one lock', async () => {
    const py = python('py-locker');
    const name = id('lock');
    const lease = await ts.acquire(name);
    expect(await py.call({ op: 'try_lock', name })).toBe(false);
    await lease.release();
    expect(await py.call({ op: 'try_lock', name })).toBe(true);
    expect(await ts.acquire(name, { wait: 250 }).catch((e: unknown) => e)).toHaveProperty('code', 'LOCK_TIMEOUT');
    const waiting = ts.acquire(name, { wait: 30_000 });
    await py.call({ op: 'unlock', name });
    const next = await waiting;
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
  });

  it('share one election: leader$ names a Python leader, and a TypeScript candidate follows it', async () => {
    const py = python('py-leader');
    const group = id('group');
    await ts.group(group).create();
    expect(await py.call({ op: 'elect', group })).toBe(true);
    expect(await firstValueFrom(ts.leadership(group).leader$.pipe(filter((l) => l !== null)))).toBe('py-leader');
    subscriptions.push(ts.leadership(group).subscribe());
    await py.call({ op: 'stand_down', group });
    await firstValueFrom(ts.leadership(group).pipe(filter((leading) => leading)));
    expect(await firstValueFrom(ts.leadership(group).leader$.pipe(filter((l) => l === 'ts-member')))).toBe('ts-member');
  });
});
