import { readFileSync } from 'node:fs';
import { type Coordinator, connect, LockTimeoutError } from '@tooz/core';
import { until, waitUntil } from '@tooz/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { killHolders, startHolder } from './children.js';
import { testNamespace } from './support.js';

/** A hang guard, never a speed assertion. */
const PATIENCE = 30_000;
const { namespace, keys, driver, note } = testNamespace('processes');
const open: Coordinator[] = [];

afterEach(async () => {
  await killHolders();
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

async function coordinator(memberId: string): Promise<Coordinator> {
  const c = await connect(driver, { memberId, namespace });
  open.push(c);
  return c;
}

async function timesOut(promise: Promise<unknown>): Promise<boolean> {
  try {
    const lease = (await promise) as { release(): Promise<void> };
    await lease.release();
    return false;
  } catch (error) {
    if (error instanceof LockTimeoutError) return true;
    throw error;
  }
}

/** GETVAL, GETNCNT, GETPID of a lock's semaphore, or null. */
const semaphore = (name: string) => native().inspect(keys.lock({ kind: 'lock', name }));
const stopped = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T') === true;

describe('processes on one host', () => {
  it('frees what a SIGKILLed process held at once: its lock to a waiter, its leadership to a candidate', async () => {
    const parent = await coordinator('parent');
    const child = startHolder(namespace, 'child-a', 'seat-kill', 'lock-kill');
    const locked = await child.next((e) => e.event === 'locked');
    await child.next((e) => e.event === 'leading' && e.value === true);

    expect(await parent.lockHolder('lock-kill')).toEqual({ memberId: 'child-a', token: BigInt(locked.token ?? '') });
    expect(await until(parent.leadership('seat-kill').leader$, (id) => id !== null)).toBe('child-a');
    expect(await timesOut(parent.acquire('lock-kill', { wait: 0 }))).toBe(true);

    const newLeader = until(parent.leadership('seat-kill').leader$, (id) => id === 'parent');
    const candidacy = parent.leadership('seat-kill').subscribe();
    // Only the child's death can hand it over within the guard: nobody else would release it.
    const waiting = parent.acquire('lock-kill', { wait: PATIENCE });
    await waitUntil(() => (semaphore('lock-kill')?.[1] ?? 0) > 0, PATIENCE, 'the parent waits in the kernel');
    expect(parent.leadership('seat-kill').value).toBe(false);

    child.kill('SIGKILL');
    const lease = await waiting;
    expect(lease.fencingToken > BigInt(locked.token ?? '')).toBe(true);
    expect(await newLeader).toBe('parent');
    expect(parent.leadership('seat-kill').value).toBe(true);
    await lease.release();
    candidacy.unsubscribe();
  });

  it('frees nothing while a process is stopped (SIGSTOP), and everything once it is killed', async () => {
    const parent = await coordinator('parent-2');
    const child = startHolder(namespace, 'child-b', 'seat-stop', 'lock-stop');
    const locked = await child.next((e) => e.event === 'locked');
    await child.next((e) => e.event === 'leading' && e.value === true);
    const candidacy = parent.leadership('seat-stop').subscribe();

    child.kill('SIGSTOP');
    await waitUntil(() => stopped(child.process.pid ?? 0), PATIENCE, 'the child is stopped');
    expect(await timesOut(parent.acquire('lock-stop', { wait: 0 }))).toBe(true);
    expect(await parent.lockHolder('lock-stop')).toEqual({ memberId: 'child-b', token: BigInt(locked.token ?? '') });
    expect(await until(parent.leadership('seat-stop').leader$, (id) => id !== null)).toBe('child-b');
    expect(parent.leadership('seat-stop').value).toBe(false);
    // A new coordinator's sweep leaves a stopped holder's semaphore alone.
    await coordinator('sweeper');
    expect(semaphore('lock-stop')?.[0]).toBe(0);

    const waiting = parent.acquire('lock-stop', { wait: PATIENCE });
    child.kill('SIGKILL');
    const lease = await waiting;
    expect(lease.fencingToken > BigInt(locked.token ?? '')).toBe(true);
    expect(await until(parent.leadership('seat-stop').leader$, (id) => id === 'parent-2')).toBe('parent-2');
    await lease.release();
    candidacy.unsubscribe();
  });

  it('never accumulates semaphores: what a killed holder left with nobody waiting is swept by the next open', async () => {
    const child = startHolder(namespace, 'child-c', 'seat-sweep', 'lock-sweep');
    note({ kind: 'lock', name: 'lock-sweep' });
    note({ kind: 'leader', name: 'seat-sweep' });
    await child.next((e) => e.event === 'locked');
    await child.next((e) => e.event === 'leading' && e.value === true);
    child.kill('SIGKILL');
    await child.exited;
    // SEM_UNDO freed it, but the semaphore is still there (tooz leaves these behind).
    expect(semaphore('lock-sweep')?.slice(0, 2)).toEqual([1, 0]);

    const after = await coordinator('after-crash');
    expect(semaphore('lock-sweep')).toBeNull();
    expect(native().inspect(keys.lock({ kind: 'leader', name: 'seat-sweep' }))).toBeNull();
    expect(await after.lockHolder('lock-sweep')).toBeNull();
  });

  it('a released lock leaves no semaphore; one handed to a waiter stays until that waiter releases', async () => {
    const [a, b] = [await coordinator('rel-a'), await coordinator('rel-b')];
    const first = await a.acquire('lock-rel');
    expect(semaphore('lock-rel')?.[0]).toBe(0);
    const waiting = b.acquire('lock-rel', { wait: PATIENCE });
    await waitUntil(() => (semaphore('lock-rel')?.[1] ?? 0) > 0, PATIENCE, 'b waits in the kernel');
    await first.release();
    const second = await waiting;
    expect(semaphore('lock-rel')?.[0]).toBe(0);
    await second.release();
    expect(semaphore('lock-rel')).toBeNull();
  });
});
