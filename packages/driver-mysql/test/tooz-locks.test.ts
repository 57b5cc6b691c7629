import { type Coordinator, connect } from '@tooz/core';
import { type ToozPeer, ToozPeer as Peer } from '@tooz/testing';
import { toozLockConformance } from '@tooz/testing/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlPerFile } from './support/members.js';

// Lock interop with Python tooz's mysql:// driver (Debian's tooz 3.1.0 on PyMySQL, through the
// shared peer of @tooz/testing): in `lockMode: 'tooz'` a lock takes the very GET_LOCK name tooz takes.
const db = mysqlPerFile();
const open: Coordinator[] = [];
const peers: ToozPeer[] = [];
afterEach(async () => {
  await Promise.allSettled(peers.splice(0).map((peer) => peer.stop()));
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

let counter = 0;
const uid = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

async function python(): Promise<ToozPeer> {
  const peer = await Peer.start({ url: db.server.url, memberId: uid('py') });
  peers.push(peer);
  return peer;
}

async function sdk(lockMode: 'tooz' | 'native'): Promise<Coordinator> {
  const c = await connect(`${db.server.url}?lock_mode=${lockMode}`, { memberId: uid('ts') });
  open.push(c);
  return c;
}

toozLockConformance({
  python,
  sdk,
  id: uid,
  // Python's hold has no row of ours: the holder is named by its server connection.
  pythonHolder: async (name) => {
    const [[row]] = (await db.admin.query('SELECT IS_USED_LOCK(?) AS id', [name])) as unknown as [[{ id: number }]];
    return { memberId: `mysql-connection:${row.id}`, token: 0n };
  },
  // tooz 3.1.0 retries a blocking GET_LOCK every second.
  pythonRetry: 1_000,
});

describe('lock modes', () => {
  it('native mode is namespaced: a Python holder of the same name does not exclude it', async () => {
    const py = await python();
    const c = await sdk('native');
    const name = uid('lock');
    expect(await py.run('try_lock', name)).toBe(true);
    const lease = await c.acquire(name, { wait: 0 });
    await lease.release();
    expect(await py.run('unlock', name)).toBe(true);
  });

  it('tooz mode shares one counter across namespaces, as Python tooz has none', async () => {
    const a = await connect(`${db.server.url}?lock_mode=tooz`, { memberId: uid('ts'), namespace: 'one' });
    const b = await connect(`${db.server.url}?lock_mode=tooz`, { memberId: uid('ts'), namespace: 'two' });
    open.push(a, b);
    const name = uid('lock');
    const first = await a.acquire(name);
    await first.release();
    const second = await b.acquire(name, { wait: 0 });
    expect(second.fencingToken > first.fencingToken).toBe(true);
    await second.release();
  });
});
