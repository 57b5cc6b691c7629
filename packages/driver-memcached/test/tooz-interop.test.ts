import { type Coordinator, connect, LockTimeoutError } from '@tooz/core';
import { type MemcachedServer, rejectionOf, startMemcached, ToozPeer } from '@tooz/testing';
import { toozLockConformance } from '@tooz/testing/conformance';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ask, readKey } from './support/expire.js';

// Lock interop with Python tooz's memcached:// driver (Debian's tooz 3.1.0 on pymemcache): both add
// `__TOOZ_LOCK_<name>` in the default namespace, so each excludes the other. Groups are not shared.

let server: MemcachedServer;
const open: Coordinator[] = [];
const peers: ToozPeer[] = [];
beforeAll(async () => {
  server = await startMemcached();
});
afterEach(async () => {
  await Promise.allSettled(peers.splice(0).map((peer) => peer.stop()));
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
const uid = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

async function python(memberId = uid('py')): Promise<ToozPeer> {
  const peer = await ToozPeer.start({ url: server.url, memberId });
  peers.push(peer);
  return peer;
}

async function sdk(): Promise<Coordinator> {
  const c = await connect(server.url, { memberId: uid('ts'), ttl: 5_000 });
  open.push(c);
  return c;
}

/** The server process's start time (unix seconds), as the driver reads it: `time` less `uptime`. */
async function startedAt(): Promise<bigint> {
  const stats = await ask(server, 'stats\r\n', /END\r\n$/);
  const stat = (name: string) => BigInt(new RegExp(`STAT ${name} (\\d+)`).exec(stats)?.[1] ?? '0');
  return stat('time') - stat('uptime');
}

toozLockConformance({
  python: () => python(),
  // memcached has one lock layout, tooz's own: there is no lock mode to choose.
  sdk: () => sdk(),
  id: uid,
  // A Python holder's value is its bare member id; its token is the add's CAS above the server's start time.
  pythonHolder: async (name) => {
    const key = await readKey(server, `__TOOZ_LOCK_${name}`);
    if (!key) throw new Error(`${name} is not held`);
    return { memberId: key.value.toString(), token: ((await startedAt()) << 32n) + key.cas };
  },
  // tooz retries a blocking acquire with an exponential wait of at most 1 s.
  pythonRetry: 1_000,
});

describe("tooz's memcached layout", () => {
  it('both write __TOOZ_LOCK_<name>, with flags 1 (raw bytes to pymemcache): Python its member id, the SDK a nonce after its own', async () => {
    const py = await python('py-layout');
    const c = await sdk();
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    const theirs = await readKey(server, `__TOOZ_LOCK_${name}`);
    expect(theirs?.value.toString()).toBe('py-layout');
    expect(theirs?.flags).toBe(1);
    expect(await py.run('unlock', name)).toBe(true);

    const lease = await c.acquire(name, { wait: 0 });
    const ours = await readKey(server, `__TOOZ_LOCK_${name}`);
    expect(ours?.flags).toBe(1);
    expect(ours?.value.toString('latin1')).toMatch(new RegExp(`^${c.memberId}\u0000[0-9a-f]{16}(\u0000\\d+)?$`));
    await lease.release();
  });

  it("Python's release of a lock the SDK holds deletes nothing (Python compares the value first)", async () => {
    const py = await python();
    const c = await sdk();
    const name = uid('lock');
    const lease = await c.acquire(name, { wait: 0 });
    expect(await py.run('try_lock', name)).toBe(false);
    expect(await py.run('unlock', name)).toBe(false);
    expect(lease.state).toBe('held');
    expect(await rejectionOf(c.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await lease.release();
  });

  it("the SDK never deletes a Python holder's lock: its release is conditional on its own CAS", async () => {
    const py = await python('py-kept');
    const c = await sdk();
    const name = uid('lock');
    const lease = await c.acquire(name, { wait: 0, ttl: 1_000 });
    // The SDK's key is removed behind its back (as an expiry would) and Python takes the name.
    await ask(server, `md __TOOZ_LOCK_${name}\r\n`, /\r\n$/);
    expect(await py.run('try_lock', name)).toBe(true);
    await lease.release();
    expect((await readKey(server, `__TOOZ_LOCK_${name}`))?.value.toString()).toBe('py-kept');
    expect(await py.run('unlock', name)).toBe(true);
  });
});
