import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Coordinator, connect, LockTimeoutError, type MembershipEvent } from '@tooz/core';
import { file } from '@tooz/driver-file';
import { ToozPeer, until, waitUntil } from '@tooz/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { hasWaiter, scratchDirectory } from './support.js';

const PATIENCE = 30_000;
const directory = scratchDirectory('interop');
/** tooz's DIRECTORY: ours plus the namespace. */
const toozDirectory = join(directory, 'tooz');
const peers: ToozPeer[] = [];
const open: Coordinator[] = [];

afterEach(async () => {
  await Promise.allSettled(peers.splice(0).map((p) => p.stop()));
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

async function coordinator(memberId: string): Promise<Coordinator> {
  const c = await connect(file({ directory }), { memberId });
  open.push(c);
  return c;
}

async function python(memberId: string): Promise<ToozPeer> {
  const peer = await ToozPeer.start({ url: `file://${toozDirectory}`, memberId });
  peers.push(peer);
  return peer;
}

describe('interop with Python tooz on the same directory', () => {
  it('excludes a Python tooz lock and is excluded by it, handing over both ways', async () => {
    const ts = await coordinator('ts-1');
    const py = await python('py-1');

    expect(await py.run('try_lock', 'shared-lock')).toBe(true);
    await expect(ts.acquire('shared-lock', { wait: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    // Woken by Python's release (its close of the lock file), not by a timer.
    const waiting = ts.acquire('shared-lock', { wait: PATIENCE });
    await waitUntil(() => hasWaiter(directory, 'shared-lock'), PATIENCE, 'the waiter registered');
    expect(await py.run('unlock', 'shared-lock')).toBe(true);
    const lease = await waiting;

    expect(await py.run('try_lock', 'shared-lock')).toBe(false);
    await lease.release();
    expect(await py.run('try_lock', 'shared-lock')).toBe(true);
    expect(await py.run('unlock', 'shared-lock')).toBe(true);
    // The same file as tooz's: the lock name used verbatim inside tooz's directory.
    expect(readFileSync(join(toozDirectory, 'shared-lock')).length).toBeLessThanOrEqual(1);
  });

  it('shares groups: each side lists the other\u2019s groups, members and capabilities', async () => {
    const ts = await coordinator('ts-2');
    const py = await python('py-2');

    await ts.group('made-by-ts').create();
    const ours = ts.group('made-by-ts').join({ role: 'ts', weight: 2 }).subscribe();
    await until(ts.group('made-by-ts').members$, (m) => m.has('ts-2'));
    expect(await py.run('groups')).toContain('made-by-ts');
    expect(await py.run('members', 'made-by-ts')).toEqual(['ts-2']);
    expect(await py.run('capabilities', 'made-by-ts', 'ts-2')).toEqual({ role: 'ts', weight: 2 });

    const events: MembershipEvent[] = [];
    using watch = await ts.group('made-by-ts').watch();
    const watching = watch.events$.subscribe((e) => events.push(e));
    await py.run('join', 'made-by-ts', { role: 'py' });
    const fromPython = () => events.filter((e) => e.memberId === 'py-2');
    // Python deletes its file when it leaves: a watcher must have read the file before then to name it.
    await waitUntil(() => fromPython().length === 1, PATIENCE);
    expect(fromPython()[0]).toMatchObject({ type: 'joined', capabilities: { role: 'py' } });
    expect((await ts.group('made-by-ts').members()).get('py-2')).toEqual({ role: 'py' });
    await py.run('leave', 'made-by-ts');
    await waitUntil(() => fromPython().length === 2, PATIENCE);
    expect(fromPython().map((e) => e.type)).toEqual(['joined', 'left']);
    watching.unsubscribe();
    ours.unsubscribe();

    await py.run('create', 'made-by-py');
    expect(await ts.groups()).toContain('made-by-py');
    const joined = ts.group('made-by-py').join({ role: 'ts' }).subscribe();
    await until(ts.group('made-by-py').members$, (m) => m.has('ts-2'));
    expect(await py.run('members', 'made-by-py')).toEqual(['ts-2']);
    joined.unsubscribe();
  });
});
