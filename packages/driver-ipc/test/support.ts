import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, GroupNotFoundError } from '@tooz/core';
import type { Driver, LockKey } from '@tooz/core/driver';
import { IpcKeys, ipc } from '@tooz/driver-ipc';
import { map, from } from 'rxjs';
import { afterAll, expect } from 'vitest';
import { native } from '../src/native.js';

/** `key_t` as ipcs prints it: 0x and eight hex digits. */
export const hexKey = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

/** Every System V key ipcs lists now: semaphore arrays and shared-memory segments. */
export function ipcsKeys(): { semaphores: Set<string>; segments: Set<string> } {
  const keysOf = (flag: '-s' | '-m') =>
    new Set(
      execFileSync('ipcs', [flag], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.split(/\s+/)[0] ?? '')
        .filter((key) => key.startsWith('0x')),
    );
  return { semaphores: keysOf('-s'), segments: keysOf('-m') };
}

/** Deletes the groups a test created (groups outlive their creators, as tooz's do); one still missing is fine. */
export async function deleteGroups(namespace: string, groups: Iterable<string>): Promise<void> {
  const cleaner = await connect(ipc({ sweep: false }), { namespace, memberId: `cleaner-${randomUUID().slice(0, 8)}` });
  try {
    for (const group of groups)
      await cleaner
        .group(group)
        .delete()
        .catch((error: unknown) => {
          if (!(error instanceof GroupNotFoundError)) throw error;
        });
  } finally {
    await cleaner.close();
  }
}

/**
 * A fresh namespace for one test file and the ipc driver on it, recording
 * every semaphore key and group it touches. After the file its groups are
 * deleted, and `ipcs` must list none of those keys, nor the namespace's
 * tables: nothing of the test's namespace is left.
 */
export function testNamespace(label: string, namespace = `t-${label}-${randomUUID().slice(0, 8)}`) {
  const keys = new IpcKeys(namespace);
  const used = new Set<number>();
  const groups = new Set<string>();
  const note = (key: LockKey) => used.add(keys.lock(key));
  const base = ipc();
  // Typed as any driver: the shared suites take a full Coordinator and skip groups by the descriptor.
  const driver: Driver = {
    ...base,
    open: (context) =>
      from(base.open(context)).pipe(
        map((session) => {
          const { locks, groups: backend } = session;
          if (backend) {
            const create = backend.create.bind(backend);
            backend.create = (group) => {
              groups.add(group);
              return create(group);
            };
          }
          if (locks) {
            for (const method of ['tryAcquire', 'acquireQueued', 'holder'] as const) {
              const original = locks[method]?.bind(locks) as ((key: LockKey, ...rest: never[]) => never) | undefined;
              if (original)
                Object.assign(locks, {
                  [method]: (key: LockKey, ...rest: never[]) => {
                    note(key);
                    return original(key, ...rest);
                  },
                });
            }
          }
          return session;
        }),
      ),
  };
  afterAll(async () => {
    await deleteGroups(namespace, groups);
    const left = ipcsKeys();
    expect([...used].map(hexKey).filter((key) => left.semaphores.has(key))).toEqual([]);
    expect(left.segments.has(hexKey(keys.table))).toBe(false);
    // The default namespace is shared with anyone on this host: only a test's own namespace must be empty.
    if (namespace !== 'tooz') {
      expect(left.segments.has(hexKey(keys.groups))).toBe(false);
      expect(left.semaphores.has(hexKey(keys.groups))).toBe(false);
    }
    for (const key of used) expect(native().inspect(key)).toBeNull();
  });
  return { namespace, keys, driver, note, groups };
}
