import { type Coordinator, LockTimeoutError } from '@tooz/core';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@tooz/testing';
import { direct, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, admin, members, open } = await etcdPerFile();

async function coordinator(): Promise<Coordinator> {
  const c = await direct(server, { memberId: uid('m'), ttl: 10_000 });
  open.push(c);
  return c;
}

async function entries(prefix: string): Promise<string[]> {
  const start = Buffer.from(prefix);
  const end = Buffer.from(start);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  const { kvs } = await admin.kv.range({ key: start, range_end: end, keys_only: true });
  return kvs.map((kv) => kv.key.toString());
}

describe('nothing is left behind', () => {
  it('removes the entry of a waiter that gives up, by unsubscribing or by timing out', async () => {
    const [a, b] = [await coordinator(), await coordinator()];
    const name = uid('lock');
    const held = await a.acquire(name);
    const pending = b.lock(name).subscribe();
    await waitUntil(async () => (await entries(`tooz/locks/${name}/`)).length === 2, 20_000, 'queued');
    pending.unsubscribe();
    await waitUntil(async () => (await entries(`tooz/locks/${name}/`)).length === 1, 20_000, 'the entry removed');
    await expect(b.acquire(name, { wait: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    await waitUntil(async () => (await entries(`tooz/locks/${name}/`)).length === 1, 20_000, 'the entry removed');
    await held.release();
    expect(await entries(`tooz/locks/${name}/`)).toEqual([]);
  });

  it('revokes its lease on close: its members, entries and seats are gone at once', async () => {
    const a = await members.connect({ memberId: uid('m'), ttl: 60_000 });
    const b = await coordinator();
    const group = uid('g');
    await b.group(group).create();
    a.group(group)
      .join()
      .subscribe({ error: () => undefined });
    const name = uid('lock');
    await a.acquire(name);
    const seat = a.leadership(group).subscribe();
    await a.leadership(group).whenLeading();
    const waiting = b.acquire(name, { wait: 20_000 });
    const leaseId = members.sessions.get(a.memberId)?.[0]?.leaseId;
    await a.close();
    seat.unsubscribe();
    const { leases } = await admin.leaseClient.leaseLeases();
    expect(leases.map((l) => l.ID)).not.toContain(leaseId);
    expect(await entries(`tooz/groups/${group}/`)).toEqual([`tooz/groups/${group}/`]);
    expect(await entries(`tooz/leaders/${group}/`)).toEqual([]);
    await (await waiting).release();
  });

  it('re-queues a waiter whose session lease was revoked, under the new lease', async () => {
    const holder = await coordinator();
    const waiter = await members.connect({ memberId: uid('w'), ttl: 10_000 });
    open.push(waiter);
    const name = uid('lock');
    const held = await holder.acquire(name);
    const waiting = waiter.acquire(name, { wait: 30_000 });
    await waitUntil(async () => (await entries(`tooz/locks/${name}/`)).length === 2, 20_000, 'queued');
    await members.expire(admin, waiter.memberId);
    await waitUntil(() => waiter.state === 'reconnected', 20_000, 'a new lease');
    await waitUntil(async () => (await entries(`tooz/locks/${name}/`)).length === 2, 20_000, 'queued again');
    await held.release();
    const lease = await waiting;
    expect(lease.fencingToken > held.fencingToken).toBe(true);
    await lease.release();
  });
});
