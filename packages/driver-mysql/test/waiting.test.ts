import { waitUntil } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { mysqlPerFile } from './support/members.js';

const db = mysqlPerFile();
/** Long enough that a hand-off by polling would stand out; the waiting connections wake waiters first. */
const SLOW_POLL = { pollInterval: 60_000 };

const waitingConnections = async () => {
  const [[row]] = (await db.admin.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT GET_LOCK(%'",
  )) as unknown as [[{ n: number }]];
  return Number(row.n);
};

describe('waiting locks', () => {
  it('a waiter is woken by the release itself, through a connection set aside for waiting', async () => {
    const [a, b] = [await db.members.add(SLOW_POLL), await db.members.add(SLOW_POLL)];
    const held = await a.coordinator.acquire('woken');
    const waiting = b.coordinator.acquire('woken', { wait: 30_000 });
    await waitUntil(async () => (await waitingConnections()) === 1, 20_000, 'a waiting GET_LOCK');
    await held.release();
    const taken = await waiting;
    expect(taken.fencingToken > held.fencingToken).toBe(true);
    // The hold lives on b's session connection, never on the waiting one.
    const id = Number((await b.coordinator.diagnose()).server.connectionId);
    const [[row]] = (await db.admin.query('SELECT IS_USED_LOCK(?) AS id', ['tooz:tooz:l:woken'])) as unknown as [
      [{ id: number }],
    ];
    expect(Number(row.id)).toBe(id);
    await taken.release();
  });

  it('more waiting locks than waiting connections: the rest poll, and every one is handed over', async () => {
    const a = await db.members.add();
    const b = await db.members.add({ pollInterval: 50, waitConnections: 1 });
    const names = ['crowded-1', 'crowded-2', 'crowded-3'];
    const held = await Promise.all(names.map((name) => a.coordinator.acquire(name)));
    const waiting = names.map((name) => b.coordinator.acquire(name, { wait: 30_000 }));
    await waitUntil(async () => (await waitingConnections()) === 1, 20_000, 'one waiting GET_LOCK');
    await Promise.all(held.map((lease) => lease.release()));
    const taken = await Promise.all(waiting);
    for (const [i, lease] of taken.entries()) expect(lease.fencingToken > (held[i]?.fencingToken ?? 0n)).toBe(true);
    await Promise.all(taken.map((lease) => lease.release()));
  });

  it('waitConnections: 0 polls only, and still hands over', async () => {
    const [a, b] = [
      await db.members.add({ waitConnections: 0, pollInterval: 50 }),
      await db.members.add({ waitConnections: 0, pollInterval: 50 }),
    ];
    const held = await a.coordinator.acquire('polled');
    const waiting = b.coordinator.acquire('polled', { wait: 30_000 });
    await held.release();
    const taken = await waiting;
    expect(taken.fencingToken > held.fencingToken).toBe(true);
    expect(await waitingConnections()).toBe(0);
    await taken.release();
  });
});
