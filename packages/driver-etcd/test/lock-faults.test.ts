import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Coordinator, LockLostError, LockTimeoutError } from '@tooz/core';
import { holdLock, rejectionOf, waitUntil } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { direct, uid } from './helpers.js';
import { etcdPerFile } from './per-file.js';

const { server, admin, members, open } = await etcdPerFile();

async function viaProxy(ttl: number): Promise<Coordinator> {
  const coordinator = await members.connect({ memberId: uid('p'), ttl });
  open.push(coordinator);
  return coordinator;
}

async function straight(ttl: number): Promise<Coordinator> {
  const coordinator = await direct(server, { memberId: uid('d'), ttl });
  open.push(coordinator);
  return coordinator;
}

describe('lock faults', () => {
  it('tells a holder cut off past its lease TTL that it lost, before the next holder gets the lock', async () => {
    const a = await viaProxy(2_000);
    const b = await straight(10_000);
    const name = uid('lock');
    const first = await a.acquire(name);
    const waiting = b.acquire(name, { wait: 20_000 });
    members.suspend(a.memberId);
    const next = await waiting;
    // Loss is declared locally at the last keep-alive plus the TTL minus a margin: before etcd expires the lease.
    expect(first.state).toBe('lost');
    expect(first.signal.reason).toBeInstanceOf(LockLostError);
    expect(next.fencingToken > first.fencingToken).toBe(true);
    members.resume(a.memberId);
    await waitUntil(() => a.state === 'reconnected', 20_000, 'a new session lease');
    await next.release();
    const again = await a.acquire(name, { wait: 20_000 });
    expect(again.fencingToken > next.fencingToken).toBe(true);
    await again.release();
  });

  it('keeps its place in the queue through a short suspension: waiters are served first come, first served', async () => {
    const holder = await straight(10_000);
    const second = await viaProxy(10_000);
    const third = await straight(10_000);
    const name = uid('lock');
    const held = await holder.acquire(name);
    const order: string[] = [];
    const b = holdLock(second.lock(name));
    await waitUntil(async () => (await queueLength(name)) === 2, 20_000, 'second in line');
    const c = holdLock(third.lock(name));
    await waitUntil(async () => (await queueLength(name)) === 3, 20_000, 'third in line');
    members.suspend(second.memberId);
    await held.release();
    await waitUntil(() => second.state === 'suspended', 20_000, 'suspended');
    // The second is first in line but cannot hear; the third must not jump the queue.
    expect(c.lease).toBeUndefined();
    members.resume(second.memberId);
    await waitUntil(() => b.lease !== undefined, 20_000, 'the second holds');
    order.push('second');
    expect(c.lease).toBeUndefined();
    b.release();
    await waitUntil(() => c.lease !== undefined, 20_000, 'the third holds');
    order.push('third');
    expect(order).toEqual(['second', 'third']);
    expect((c.lease?.fencingToken ?? 0n) > (b.lease?.fencingToken ?? 0n)).toBe(true);
    c.release();
  });

  it('serves many waiters in the order they queued', async () => {
    const coordinators = await Promise.all(Array.from({ length: 5 }, () => straight(10_000)));
    const name = uid('lock');
    const first = await coordinators[0]?.acquire(name);
    const served: number[] = [];
    const holds = [];
    for (let i = 1; i < coordinators.length; i++) {
      const coordinator = coordinators[i] as Coordinator;
      const h = holdLock(coordinator.lock(name));
      holds.push(h);
      await waitUntil(async () => (await queueLength(name)) === i + 1, 20_000, `waiter ${i} queued`);
    }
    await first?.release();
    for (let i = 0; i < holds.length; i++) {
      const h = holds[i];
      await waitUntil(() => h?.lease !== undefined, 20_000, `waiter ${i + 1} served`);
      served.push(i + 1);
      // Nobody behind it holds yet.
      for (const later of holds.slice(i + 1)) expect(later.lease).toBeUndefined();
      h?.release();
    }
    expect(served).toEqual([1, 2, 3, 4]);
  });

  it('keeps holds through a server kill and restart shorter than the TTL', async () => {
    const a = await straight(15_000);
    const b = await straight(15_000);
    const name = uid('lock');
    const lease = await a.acquire(name);
    const errors: unknown[] = [];
    lease.signal.addEventListener('abort', () => errors.push(lease.signal.reason));
    await server.kill();
    await waitUntil(() => a.state === 'suspended', 20_000, 'suspended');
    expect(lease.state).toBe('at-risk');
    await server.start();
    await waitUntil(() => a.state === 'reconnected', 30_000, 'reconnected');
    await waitUntil(() => lease.state === 'held', 20_000, 'held again');
    expect(errors).toEqual([]);
    // (A short wait rather than `wait: 0`: see the README on core's queued acquire.)
    expect(await rejectionOf(b.acquire(name, { wait: 200 }))).toBeInstanceOf(LockTimeoutError);
    const waiting = b.acquire(name, { wait: 20_000 });
    await lease.release();
    const next = await waiting;
    expect(next.fencingToken > lease.fencingToken).toBe(true);
    await next.release();
  });

  it('tells a holder paused (SIGSTOP) past its TTL that it lost, once it runs again; the next holder has a higher token', async () => {
    const name = uid('lock');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=development',
        fileURLToPath(new URL('./child/holder.ts', import.meta.url)),
        `${server.host}:${server.port}`,
        name,
        '2000',
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: Record<string, string>[] = [];
    createInterface({ input: child.stdout }).on('line', (line) =>
      lines.push(JSON.parse(line) as Record<string, string>),
    );
    try {
      await waitUntil(() => lines.some((l) => l.held !== undefined), 60_000, 'the child holds the lock');
      const token = BigInt(lines.find((l) => l.held !== undefined)?.held ?? '0');
      const b = await straight(10_000);
      const waiting = b.acquire(name, { wait: 30_000 });
      child.kill('SIGSTOP');
      const next = await waiting;
      const seenWhilePaused = lines.length;
      expect(next.fencingToken > token).toBe(true);
      child.kill('SIGCONT');
      await waitUntil(() => lines.some((l) => l.lost !== undefined), 20_000, 'the child told of its loss');
      // Nothing was reported while it was stopped, and it never claimed the lock again.
      expect(lines.slice(0, seenWhilePaused).some((l) => l.lost !== undefined)).toBe(false);
      expect(lines.filter((l) => l.held !== undefined)).toHaveLength(1);
      await next.release();
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

/** Entries in a lock's queue, counted behind the driver's back. */
async function queueLength(name: string): Promise<number> {
  const prefix = Buffer.from(`tooz/locks/${name}/`);
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  return Number((await admin.kv.range({ key: prefix, range_end: end, count_only: true })).count);
}
