import { type Coordinator, connect, LockTimeoutError } from '@tooz/core';
import { file } from '@tooz/driver-file';
import { until, waitUntil } from '@tooz/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { killHolders, startHolder } from './children.js';
import { hasWaiter, scratchDirectory } from './support.js';

/** A hang guard, never a speed assertion. */
const PATIENCE = 30_000;
const directory = scratchDirectory('processes');
const open: Coordinator[] = [];

afterEach(async () => {
  await killHolders();
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

async function coordinator(memberId: string): Promise<Coordinator> {
  const c = await connect(file({ directory }), { memberId });
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

describe('processes on one directory', () => {
  it('frees everything a SIGKILLed process held at once: lock, membership, leadership', async () => {
    const parent = await coordinator('parent');
    const child = startHolder(directory, 'child-a', 'g-kill', 'lock-kill');
    const locked = await child.next((e) => e.event === 'locked');
    await child.next((e) => e.event === 'leading' && e.value === true);

    expect((await parent.group('g-kill').members()).has('child-a')).toBe(true);
    expect(await until(parent.leadership('g-kill').leader$, (id) => id !== null)).toBe('child-a');
    expect(await timesOut(parent.acquire('lock-kill', { wait: 0 }))).toBe(true);

    using watch = await parent.group('g-kill').watch();
    const left = until(watch.events$, (e) => e.type === 'left' && e.memberId === 'child-a');
    const newLeader = until(parent.leadership('g-kill').leader$, (id) => id === 'parent');
    const candidacy = parent.leadership('g-kill').subscribe();
    // Waits for as long as the guard allows: only the child's death can hand it over.
    const waiting = parent.acquire('lock-kill', { wait: PATIENCE });
    await waitUntil(() => hasWaiter(directory, 'lock-kill'), PATIENCE, 'the parent waits');
    expect(parent.leadership('g-kill').value).toBe(false);

    child.kill('SIGKILL');
    const lease = await waiting;
    expect(lease.fencingToken > BigInt(locked.token ?? '')).toBe(true);
    expect(await left).toMatchObject({ type: 'left', memberId: 'child-a' });
    expect(await newLeader).toBe('parent');
    expect(parent.leadership('g-kill').value).toBe(true);
    expect((await parent.group('g-kill').members()).has('child-a')).toBe(false);
    await lease.release();
    candidacy.unsubscribe();
  });

  it('frees nothing while a process is stopped (SIGSTOP), and everything once it is killed', async () => {
    const parent = await coordinator('parent-2');
    const child = startHolder(directory, 'child-b', 'g-stop', 'lock-stop');
    await child.next((e) => e.event === 'locked');
    await child.next((e) => e.event === 'leading' && e.value === true);
    const candidacy = parent.leadership('g-stop').subscribe();

    child.kill('SIGSTOP');
    // Longer than the crash-detection bound: a stopped process is not a dead one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await timesOut(parent.acquire('lock-stop', { wait: 0 }))).toBe(true);
    expect((await parent.group('g-stop').members()).has('child-b')).toBe(true);
    expect(await until(parent.leadership('g-stop').leader$, (id) => id !== null)).toBe('child-b');
    expect(parent.leadership('g-stop').value).toBe(false);

    using watch = await parent.group('g-stop').watch();
    const left = until(watch.events$, (e) => e.type === 'left' && e.memberId === 'child-b');
    child.kill('SIGKILL');
    await (await parent.acquire('lock-stop', { wait: PATIENCE })).release();
    await left;
    await parent.leadership('g-stop').whenLeading();
    candidacy.unsubscribe();
  });

  it('hands leadership to another process when the leader is killed', async () => {
    const onlooker = await coordinator('onlooker');
    const a = startHolder(directory, 'child-c', 'g-handover', 'lock-c');
    await a.next((e) => e.event === 'leading' && e.value === true);
    const b = startHolder(directory, 'child-d', 'g-handover', 'lock-d');
    await b.next((e) => e.event === 'locked');
    expect(await until(onlooker.leadership('g-handover').leader$, (id) => id !== null)).toBe('child-c');
    expect(b.events.some((e) => e.event === 'leading' && e.value === true)).toBe(false);

    a.kill('SIGKILL');
    await b.next((e) => e.event === 'leading' && e.value === true);
    expect(await until(onlooker.leadership('g-handover').leader$, (id) => id === 'child-d')).toBe('child-d');
    // The kernel drops a dead process's locks file by file: its membership may outlive its seat a moment.
    const members = await until(onlooker.group('g-handover').members$, (m) => !m.has('child-c'), 'child-c gone');
    expect([...members.keys()]).toEqual(['child-d']);
  });
});
