import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { ConnectionError, type Coordinator, connect, type MembershipEvent } from '@tooz/core';
import { rejectionOf, until, waitUntil } from '@tooz/testing';
import { fromEvent } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { killHolders, startMember } from './children.js';
import { testNamespace } from './support.js';

/** A hang guard, never a speed assertion. */
const PATIENCE = 30_000;
// After the file its groups are deleted and ipcs lists nothing of the namespace (support.ts).
const { namespace, driver, keys } = testNamespace('group-processes');
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

const stopped = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T') === true;
const joinedEvent = (e: { event: string }) => e.event === 'joined';

/** Python's sysv_ipc takes semaphore 0 of the group set (the table's mutex: +1 with SEM_UNDO) and keeps it. */
const HOLD_MUTEX = `
import sys, time, sysv_ipc
mutex = sysv_ipc.Semaphore(int(sys.argv[1]))
mutex.undo = True
mutex.release()
print('held', flush=True)
time.sleep(600)
`;

describe('group members in other processes', () => {
  it('reports a SIGKILLed member as left: gone from the first read after its death, seen leaving by watchers', async () => {
    const parent = await coordinator('watcher');
    await parent.group('crash').create();
    const [doomed, survivor] = [
      startMember(namespace, 'child-k', 'crash', { role: 'worker' }),
      startMember(namespace, 'child-live', 'crash', null),
    ];
    await Promise.all([doomed.next(joinedEvent), survivor.next(joinedEvent)]);
    expect(await parent.group('crash').members()).toEqual(
      new Map<string, unknown>([
        ['child-k', { role: 'worker' }],
        ['child-live', null],
      ]),
    );
    using watch = await parent.group('crash').watch();
    expect(watch.members.has('child-k')).toBe(true);
    const left = until(watch.events$, (e) => e.type === 'left', 'a left event', PATIENCE);

    doomed.kill('SIGKILL');
    await doomed.exited;
    // The kernel freed its slot as it died: the very next read no longer lists it, so a
    // watcher (which re-reads every poll interval) sees it leave within one interval.
    expect([...(await parent.group('crash').members()).keys()]).toEqual(['child-live']);
    expect(await left).toEqual({ type: 'left', groupId: 'crash', memberId: 'child-k' });

    // A restarted process may join again under the same id at once.
    const restarted = startMember(namespace, 'child-k', 'crash', { role: 'restarted' });
    await restarted.next(joinedEvent);
    expect((await parent.group('crash').members()).get('child-k')).toEqual({ role: 'restarted' });
  });

  it('keeps a stopped (SIGSTOP) member: watchers see others come and go, never it leave', async () => {
    const [parent, passerBy] = [await coordinator('watcher-2'), await coordinator('passer-by')];
    await parent.group('stop').create();
    const child = startMember(namespace, 'child-s', 'stop', { n: 1 });
    await child.next(joinedEvent);
    child.kill('SIGSTOP');
    await waitUntil(() => stopped(child.process.pid ?? 0), PATIENCE, 'the child is stopped');

    using watch = await parent.group('stop').watch();
    expect(watch.members.has('child-s')).toBe(true);
    const seen: MembershipEvent[] = [];
    watch.events$.subscribe((event) => seen.push(event));
    // Each of these events comes from a read after the stop, every one listing the stopped child.
    const membership = passerBy.group('stop').join().subscribe();
    await waitUntil(() => seen.length > 0, PATIENCE, 'the passer-by seen joining');
    membership.unsubscribe();
    await waitUntil(() => seen.length > 1, PATIENCE, 'the passer-by seen leaving');
    expect(seen.map((e) => `${e.type} ${e.memberId}`)).toEqual(['joined passer-by', 'left passer-by']);
    expect((await parent.group('stop').members()).get('child-s')).toEqual({ n: 1 });
    await expect(parent.group('stop').delete()).rejects.toMatchObject({ code: 'GROUP_NOT_EMPTY' });

    child.kill('SIGKILL');
    await waitUntil(() => seen.length > 2, PATIENCE, 'the child seen leaving');
    expect(seen[2]).toEqual({ type: 'left', groupId: 'stop', memberId: 'child-s' });
    await parent.group('stop').delete();
  });

  it('counts a member alive by its process, not its coordinator: many members of one process, each left on its own', async () => {
    const parent = await coordinator('watcher-3');
    await parent.group('many').create();
    const members = await Promise.all(Array.from({ length: 5 }, (_, i) => coordinator(`local-${i}`)));
    const memberships = members.map((m, i) => m.group('many').join({ i }).subscribe());
    await waitUntil(async () => (await parent.group('many').members()).size === 5, PATIENCE, 'five members');
    memberships[2]?.unsubscribe();
    await waitUntil(async () => !(await parent.group('many').members()).has('local-2'), PATIENCE, 'local-2 left');
    expect([...(await parent.group('many').members()).keys()].sort()).toEqual([
      'local-0',
      'local-1',
      'local-3',
      'local-4',
    ]);
    for (const m of memberships) m.unsubscribe();
    await waitUntil(async () => (await parent.group('many').members()).size === 0, PATIENCE, 'everyone left');
    await parent.group('many').delete();
  });

  it('survives a process killed inside the group table mutex: refused meanwhile (retryable), free at its death', async () => {
    const parent = await coordinator('watcher-4');
    await parent.group('wedge').create();
    const holder = spawn('/usr/bin/python3', ['-c', HOLD_MUTEX, String(keys.groups)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(holder, 'exit');
    try {
      await until(fromEvent(holder.stdout, 'data'), () => true, 'the mutex held', PATIENCE);
      expect(native().inspect(keys.groups)?.[0]).toBe(1);
      // Someone stuck inside the table (stopped, or this): a bounded wait, then a retryable refusal.
      const refused = await rejectionOf(parent.group('wedge').members());
      expect(refused).toBeInstanceOf(ConnectionError);
      expect((refused as ConnectionError).retryable).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    expect(native().inspect(keys.groups)?.[0]).toBe(0);
    expect(await parent.group('wedge').members()).toEqual(new Map());
    await parent.group('wedge').delete();
  });
});
