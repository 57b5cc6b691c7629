import { connect, type LockLease } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';
import { startFaultProxy } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { direct, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, open } = await etcdPerFile();

describe('a session lease whose grant was answered slowly (etcd)', () => {
  it('is dated from the send of its grant, so the holder knows its loss before etcd gives the lock away', async () => {
    await using proxy = await startFaultProxy({ target: server });
    // Every byte of the connect, the lease grant included, is held for 800 ms each way.
    proxy.latency(800);
    const a = await connect(etcd({ hosts: proxy.address, requestTimeout: 30_000 }), { memberId: uid('p'), ttl: 3_000 });
    open.push(a);
    proxy.latency(0);
    const name = uid('lock');
    const first: LockLease = await a.acquire(name);
    // Cut off right away: nothing more reaches etcd, which expires the lease a TTL after it granted it.
    proxy.suspend();
    const b = await direct(server, { memberId: uid('d'), ttl: 10_000 });
    open.push(b);
    const next = await b.acquire(name, { wait: 20_000 });
    // Read at the moment b holds it. Dated from the grant's answer, a's lease was still `held` here.
    expect(first.state).toBe('lost');
    expect(first.signal.aborted).toBe(true);
    expect(next.fencingToken > first.fencingToken).toBe(true);
    proxy.resume();
    await next.release();
  });
});
