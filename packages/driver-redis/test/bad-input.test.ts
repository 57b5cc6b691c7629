import { type Coordinator, connect, decodeCapabilities, InvalidArgumentError, LockTimeoutError } from '@tooz/core';
import { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '@tooz/testing';

let server: RedisServer;
let admin: Redis;
const open: Coordinator[] = [];
beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

async function coordinator(memberId: string): Promise<Coordinator> {
  const c = await connect(server.url, { memberId, ttl: 5_000 });
  open.push(c);
  return c;
}

function joined(source: import('rxjs').Observable<unknown>): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    const subscription: Subscription = source.subscribe({ next: () => resolve(subscription), error: reject });
  });
}

const snapshot = async () => (await admin.keys('*')).sort();

describe('ids the key layout has to escape', () => {
  it('keeps a lock named like a leader seat apart from the seat', async () => {
    const [a, b] = [await coordinator('seat-a'), await coordinator('seat-b')];
    const seat = a.leadership('x').subscribe();
    await a.leadership('x').whenLeading();
    // Same bytes as the seat's name in tooz's layout, but a user lock: it must not collide.
    const lease = await b.acquire('leader_of_x', { wait: 0 });
    expect(await admin.exists('tooz_leader_of_x_lock', 'tooz_leader%5Fof_x_lock')).toBe(2);
    await lease.release();
    seat.unsubscribe();
  });

  it('keeps a lock named group:g apart from group g_lock', async () => {
    const a = await coordinator('colon');
    await a.group('g_lock').create();
    const lease = await a.acquire('group:g', { wait: 0 });
    expect(await admin.type('tooz_group:g_lock')).toBe('hash');
    expect(await admin.get('tooz_group%3Ag_lock')).toBe(`${lease.fencingToken}:colon`);
    await lease.release();
    await a.group('g_lock').delete();
  });

  it('stores member ids tooz cannot (__created__, %-prefixed, NUL, very long) and lists them back exactly', async () => {
    const ids = ['__created__', '%odd', '%%', 'nul\u0000byte', 'é😀:中', 'x'.repeat(1024)];
    const group = 'odd-members';
    const [first] = [await coordinator('creator')];
    await first.group(group).create();
    const memberships: Subscription[] = [];
    for (const id of ids) memberships.push(await joined((await coordinator(id)).group(group).join({ id: id.length })));
    const members = await first.group(group).members();
    expect([...members.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(members.get(id)).toEqual({ id: id.length });
    expect(await admin.hexists(`tooz_group:${group}`, '%__created__')).toBe(1);
    expect(await admin.hget(`tooz_group:${group}`, '__created__')).toBe('1');
    for (const m of memberships) m.unsubscribe();
  });

  it('locks and groups with names of any characters and the longest allowed', async () => {
    const [a, b] = [await coordinator('any-a'), await coordinator('any-b')];
    for (const name of ['\u0000', ' ', '%3A', '*?[]', 'ç\ud83d\ude00', 'y'.repeat(1024)]) {
      const lease = await a.acquire(name, { wait: 0 });
      expect(await b.acquire(name, { wait: 0 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
      await lease.release();
      await a.group(name).create();
      expect(await b.groups()).toContain(name);
      await a.group(name).delete();
    }
  });
});

describe('bad input changes nothing', () => {
  it('refuses capabilities that cannot be encoded before writing or announcing anything', async () => {
    const a = await coordinator('bad-caps');
    const group = 'caps';
    await a.group(group).create();
    const before = await snapshot();
    const announced: string[] = [];
    const listener = new Redis(server.url);
    await listener.subscribe(`tooz_group:${group}`);
    listener.on('message', (_channel, message) => announced.push(message));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const capabilities of [{ f: () => 1 }, circular, new Map(), { big: 2n ** 70n }, { s: Symbol('s') }]) {
      expect(() => a.group(group).join(capabilities)).toThrow(InvalidArgumentError);
    }
    await expect(a.group(group).updateCapabilities({ f: () => 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await admin.ping();
    expect(await snapshot()).toEqual(before);
    expect(await admin.hlen(`tooz_group:${group}`)).toBe(1);
    expect(announced).toEqual([]);
    listener.disconnect();
  });

  it('refuses empty, ill-formed and too long ids, writing nothing', async () => {
    const a = await coordinator('bad-ids');
    const before = await snapshot();
    for (const id of ['', 'lone\ud800', 'z'.repeat(1025)]) {
      expect(() => a.lock(id)).toThrow(InvalidArgumentError);
      expect(() => a.group(id)).toThrow(InvalidArgumentError);
      expect(() => a.leadership(id)).toThrow(InvalidArgumentError);
    }
    const error = await connect(server.url, { memberId: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(await snapshot()).toEqual(before);
  });
});

describe('tooz layout', () => {
  it('writes groups, members and beats where Python tooz reads them', async () => {
    const a = await coordinator('layout');
    await a.group('shared').create();
    const membership = await joined(a.group('shared').join({ weight: 2 }));
    expect(await admin.smembers('tooz_groups')).toContain('shared');
    const raw = await admin.hgetBuffer('tooz_group:shared', 'layout');
    expect(raw?.toString('hex')).toBe('81a677656967687402');
    expect(decodeCapabilities(raw ?? new Uint8Array())).toEqual({ weight: 2 });
    expect(await admin.get('tooz_beats:layout')).toBe('Not dead!');
    expect(await admin.pttl('tooz_beats:layout')).toBeGreaterThan(0);
    membership.unsubscribe();
  });
});
