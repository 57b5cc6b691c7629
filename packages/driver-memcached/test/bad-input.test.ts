import { createHash } from 'node:crypto';
import { type Coordinator, connect, InvalidArgumentError, LockTimeoutError } from '@tooz/core';
import { memcached } from '@tooz/driver-memcached';
import { type MemcachedServer, rejectionOf, startMemcached } from '@tooz/testing';
import type { Observable, Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ask, readKey } from './support/expire.js';

let server: MemcachedServer;
const open: Coordinator[] = [];
beforeAll(async () => {
  server = await startMemcached();
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function coordinator(memberId = unique('m')): Promise<Coordinator> {
  const c = await connect(server.url, { memberId, ttl: 5_000 });
  open.push(c);
  return c;
}

function joined(source: Observable<unknown>): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    const subscription: Subscription = source.subscribe({ next: () => resolve(subscription), error: reject });
  });
}

/** Every key the server holds, through its LRU crawler. */
async function keys(): Promise<string[]> {
  const dump = await ask(server, 'lru_crawler metadump all\r\n', /(^|\n)END\r\n$/);
  return [...dump.matchAll(/^key=(\S+)/gm)].map((match) => decodeURIComponent(match[1] as string)).sort();
}

/** How the driver stores a key memcached cannot: its prefix, `#`, and a SHA-256 of the whole key. */
const hashed = (prefix: string, name: string) =>
  `${prefix}#${createHash('sha256')
    .update(prefix + name)
    .digest('base64url')}`;

describe('names memcached cannot store as keys', () => {
  const unstorable: Array<[string, string]> = [
    ['a space', 'with space'],
    ['control characters', 'tab\there\r\nnew'],
    ['a NUL', 'nul\u0000byte'],
    ['unicode', 'é😀:中'],
    ['more than 250 bytes', 'y'.repeat(1024)],
    ['a leading #, like a hashed key', '#abc'],
    ['the prefix of a leader seat', '_TOOZ_GROUP_LEADER_g'],
  ];

  it.each(unstorable)('a lock whose name has %s works, under a hashed key', async (_, name) => {
    const [a, b] = [await coordinator(), await coordinator()];
    const lease = await a.acquire(name, { wait: 0 });
    expect(await rejectionOf(b.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    expect(await b.lockHolder(name)).toEqual({ memberId: a.memberId, token: lease.fencingToken });
    expect(await readKey(server, hashed('__TOOZ_LOCK_', name))).toBeDefined();
    await lease.release();
    expect(await readKey(server, hashed('__TOOZ_LOCK_', name))).toBeUndefined();
    await (await b.acquire(name, { wait: 0 })).release();
  });

  it('keeps a lock named like a leader seat apart from the seat', async () => {
    const [a, b] = [await coordinator(), await coordinator()];
    const seat = a.leadership('g').subscribe();
    await a.leadership('g').whenLeading();
    const lease = await b.acquire('_TOOZ_GROUP_LEADER_g', { wait: 0 });
    expect((await readKey(server, '__TOOZ_LOCK__TOOZ_GROUP_LEADER_g'))?.value.toString()).toMatch(
      new RegExp(`^${a.memberId}\u0000`),
    );
    await lease.release();
    seat.unsubscribe();
  });

  it.each(unstorable)('a group whose id has %s works, and lists back exactly', async (_, group) => {
    const a = await coordinator();
    await a.group(group).create();
    expect(await a.groups()).toContain(group);
    const membership = await joined(a.group(group).join({ group }));
    expect(await a.group(group).members()).toEqual(new Map([[a.memberId, { group }]]));
    membership.unsubscribe();
    await a.group(group).leave();
    await a.group(group).delete();
    expect(await a.groups()).not.toContain(group);
  });

  it('stores member ids with quotes, backslashes, NULs, unicode and 1 KiB, and gives them back exactly', async () => {
    const ids = ['"quoted"', "it's", 'back\\slash', '\\"\\\\', 'nul\u0000byte', 'é😀:中', 'z'.repeat(1024)];
    const group = unique('odd-members');
    const first = await coordinator();
    await first.group(group).create();
    const memberships: Subscription[] = [];
    for (const id of ids) {
      const c = await coordinator(id);
      memberships.push(await joined(c.group(group).join({ id })));
      const lease = await c.acquire(`holder-${ids.indexOf(id)}`, { wait: 0 });
      expect(await first.lockHolder(`holder-${ids.indexOf(id)}`)).toEqual({ memberId: id, token: lease.fencingToken });
      await lease.release();
    }
    const members = await first.group(group).members();
    expect([...members.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(members.get(id)).toEqual({ id });
    for (const m of memberships) m.unsubscribe();
  });

  it('round-trips capabilities byte for byte', async () => {
    const a = await coordinator();
    const group = unique('caps');
    await a.group(group).create();
    const caps = { text: 'quote " backslash \\ nul \u0000 é😀', bytes: new Uint8Array([0, 13, 10, 255]), n: 2 ** 40 };
    const membership = await joined(a.group(group).join(caps));
    const got = (await a.group(group).members()).get(a.memberId);
    expect(got).toEqual(caps);
    membership.unsubscribe();
  });
});

describe('refused input writes nothing', () => {
  it('refuses ids the core cannot take, before any request', async () => {
    const a = await coordinator();
    const before = await keys();
    for (const bad of ['', 'bad\uD800id', 'x'.repeat(1025)]) {
      expect(await rejectionOf(a.acquire(bad, { wait: 0 }))).toBeInstanceOf(InvalidArgumentError);
      expect(() => a.group(bad)).toThrow(InvalidArgumentError);
    }
    expect(await keys()).toEqual(before);
  });
});

describe('options', () => {
  const refused = (action: () => unknown) => {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      return (error as InvalidArgumentError).field;
    }
    throw new Error('expected a refusal');
  };

  it('refuses bad options in code, naming the field', () => {
    expect(refused(() => memcached({ port: 70_000 }))).toBe('options.port');
    expect(refused(() => memcached({ host: '' }))).toBe('options.host');
    expect(refused(() => memcached({ requestTimeout: 0 }))).toBe('options.requestTimeout');
    expect(refused(() => memcached({ connectTimeout: 'soon' as never }))).toBe('options.connectTimeout');
    expect(refused(() => memcached({ tls: 'maybe' as never }))).toBe('options.tls');
    expect(refused(() => memcached({ user: 'app' }))).toBe('options.password');
    expect(refused(() => memcached({ servers: ['a'] } as never))).toBe('options.servers');
  });

  it.each([
    ['memcached://127.0.0.1:11211?request_timeout=abc', 'options.request_timeout'],
    ['memcached://127.0.0.1:11211?use_ssl=perhaps', 'options.use_ssl'],
    ['memcached://127.0.0.1:11211?bogus=1', 'options.bogus'],
    // core's own option, from the URL: core names it (as ttl).
    ['memcached://127.0.0.1:11211?timeout=-1', 'url.ttl'],
    ['memcached://a:1,b:2', 'url.host'],
    ['memcached://127.0.0.1:11211/db', 'url.path'],
  ])('refuses %s, naming %s', async (url, field) => {
    const error = await rejectionOf(connect(url, { memberId: 'm' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe(field);
  });

  it("accepts tooz's own URL options (seconds), and ignores the ones that tune pymemcache", async () => {
    const c = await connect(
      `${server.url}?timeout=5&lock_timeout=4&connect_timeout=2&request_timeout=1.5&max_pool_size=8&use_ssl=0`,
      { memberId: unique('tooz-url') },
    );
    open.push(c);
    await (await c.acquire(unique('lock'), { wait: 0 })).release();
  });
});
