import { randomUUID } from 'node:crypto';
import { type Coordinator, connect, LockTimeoutError } from '@tooz/core';
import { ToozPeer, waitUntil } from '@tooz/testing';
import { toozLockConformance } from '@tooz/testing/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { testNamespace } from './support.js';

const PATIENCE = 30_000;
// tooz's own keys live in the default namespace: only there do the two meet.
const { namespace, keys, driver, note } = testNamespace('interop', 'tooz');
const peers: ToozPeer[] = [];
const open: Coordinator[] = [];

afterEach(async () => {
  await Promise.allSettled(peers.splice(0).map((p) => p.stop()));
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

async function sdk(): Promise<Coordinator> {
  const c = await connect(driver, { namespace, memberId: `ts-${randomUUID().slice(0, 8)}` });
  open.push(c);
  return c;
}

async function python(): Promise<ToozPeer> {
  const peer = await ToozPeer.start({ url: 'ipc://', memberId: `py-${randomUUID().slice(0, 8)}` });
  peers.push(peer);
  return peer;
}

const semaphore = (name: string) => native().inspect(keys.lock({ kind: 'lock', name }));

// Both ways: exclusion, hand-over to a waiter on either side, tokens rising with Python holds between.
toozLockConformance({
  python,
  sdk,
  id: (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`,
  // Python tooz writes no holder record: the holder is named by the process the kernel knows.
  pythonHolder: async (name) => ({ memberId: `pid:${semaphore(name)?.[2]}`, token: 0n }),
  // Python's blocking acquire is a semop, not a retry loop: any interval shows it stays blocked.
  pythonRetry: 200,
});

describe('Python tooz and the SDK on one name', () => {
  it("uses tooz's semaphore for b'foo' (key 0x91b9e60c), and a Python release wakes a waiting SDK at once", async () => {
    const name = `foo`;
    note({ kind: 'lock', name });
    expect(keys.lock({ kind: 'lock', name })).toBe(0x91b9e60c | 0);
    const [py, ts] = [await python(), await sdk()];
    expect(await py.run('try_lock', name)).toBe(true);
    expect(semaphore(name)?.[0]).toBe(0);
    await expect(ts.acquire(name, { wait: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    const waiting = ts.acquire(name, { wait: PATIENCE });
    await waitUntil(() => (semaphore(name)?.[1] ?? 0) > 0, PATIENCE, 'the SDK waits in the kernel');
    // tooz releases by removing the semaphore: the waiter starts again on a fresh one.
    expect(await py.run('unlock', name)).toBe(true);
    const lease = await waiting;
    expect(await py.run('try_lock', name)).toBe(false);
    await lease.release();
    expect(semaphore(name)).toBeNull();
  });

  it('keeps namespaces apart: a Python lock does not exclude the same name in another namespace', async () => {
    const name = `ns-${randomUUID().slice(0, 8)}`;
    note({ kind: 'lock', name });
    const py = await python();
    expect(await py.run('try_lock', name)).toBe(true);
    const other = await connect('ipc://', { namespace: 'elsewhere' });
    await (await other.acquire(name, { wait: 0 })).release();
    await other.close();
    expect(await py.run('unlock', name)).toBe(true);
  });
});
