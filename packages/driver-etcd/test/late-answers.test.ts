import { type Coordinator, LockTimeoutError } from '@tooz/core';
import type { LockChange, LockKey } from '@tooz/core/driver';
import { holdLock, waitUntil } from '@tooz/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { direct, EtcdMembers, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, members, open, subscriptions } = await etcdPerFile();
// Requests outlive a short lease here, so an answer can arrive after the lease was declared lost.
const patient = new EtcdMembers(server, { requestTimeout: 30_000 });
afterAll(() => patient.close());

async function viaProxy(pool: EtcdMembers, ttl: number): Promise<Coordinator> {
  const coordinator = await pool.connect({ memberId: uid('p'), ttl });
  open.push(coordinator);
  return coordinator;
}

describe('answers that arrive late: after the watch saw the deletion, or after the lease was lost', () => {
  it("reports a hold lost when the lock's shared watch delivered its deletion before lost$ was subscribed", async () => {
    const a = await viaProxy(members, 10_000);
    const breaker = await direct(server, { memberId: uid('b'), ttl: 10_000 });
    open.push(breaker);
    const { locks } = members.session(a.memberId);
    const key: LockKey = { kind: 'lock', name: uid('lock') };
    const seen: LockChange[] = [];
    subscriptions.push(locks.changes(key).subscribe((change) => seen.push(change)));
    // A first hold and release, seen through the shared watch: the watch is up before the hold under test.
    const warmUp = await locks.tryAcquire(key);
    if (!warmUp.acquired) throw new Error('the free lock was refused');
    // lockChanges reads the queue only once its watch is in place.
    await waitUntil(() => seen.some((change) => change.type === 'acquired'), 20_000, 'the watch is up');
    await locks.release(key, warmUp.handle);
    await waitUntil(() => seen.some((change) => change.type === 'released'), 20_000, 'the release seen');
    seen.length = 0;

    const result = await locks.tryAcquire(key);
    if (!result.acquired) throw new Error('the free lock was refused');
    expect(await breaker.breakLock(key.name)).toBe(true);
    // The watch delivers the deletion before the hold listens: the gap between an acquire's answer and
    // core's subscription, where a watch event on another HTTP/2 stream can overtake the answer.
    await waitUntil(() => seen.some((change) => change.type === 'released'), 20_000, 'the deletion delivered');
    let lost = false;
    const watching = result.handle.lost$?.subscribe(() => {
      lost = true;
    });
    if (watching) subscriptions.push(watching);
    await waitUntil(() => lost, 10_000, 'the broken hold reported lost');
    expect(lost).toBe(true);
  });

  it('never grants a tryAcquire whose answer arrives after the session lease was declared lost', async () => {
    const a = await viaProxy(patient, 3_000);
    const name = uid('lock');
    patient.suspend(a.memberId);
    await waitUntil(() => a.state === 'suspended', 20_000, 'suspended');
    // Sent on the old lease, held by the proxy until the loss has been declared.
    const record = holdLock(a.lock(name, { wait: 0 }));
    subscriptions.push(record.subscription);
    // Resumed the moment the loss is declared: the attempt reaches etcd while the old lease still exists
    // there, and just ahead of its revocation.
    subscriptions.push(
      a.state$.subscribe((state) => {
        if (state === 'lost') patient.resume(a.memberId);
      }),
    );
    await waitUntil(() => record.error !== undefined, 20_000, 'the attempt settled');
    // The lock must not have been handed out under a lease already given up.
    expect(record.lease).toBeUndefined();
    expect(record.error).toBeInstanceOf(LockTimeoutError);
    await waitUntil(() => a.state === 'reconnected', 20_000, 'a new lease');
    const again = await a.acquire(name, { wait: 0 });
    await again.release();
  });
});
