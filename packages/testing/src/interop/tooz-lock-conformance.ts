import { type Coordinator, LockTimeoutError } from '@tooz/core';
import type { LockHolder } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';
import { rejectionOf, stillPending } from '../promises.js';
import type { ToozPeer } from './tooz-peer.js';

/** What `toozLockConformance` needs: a Python tooz peer and the driver, on one backend. */
export interface ToozLockTarget {
  /** A Python tooz coordinator on the same backend (closed by the caller's own clean-up). */
  python(): Promise<ToozPeer>;
  /** A coordinator of the driver under test, in the given lock mode. */
  sdk(lockMode: 'tooz' | 'native'): Promise<Coordinator>;
  /** A fresh lock name. */
  id(prefix: string): string;
  /** Who `lockHolder()` says holds `name` while Python does (each backend names it its own way). */
  pythonHolder(name: string): Promise<LockHolder>;
  /** How often Python tooz's blocking acquire retries on this backend, in ms (it is not woken). */
  readonly pythonRetry: number;
}

/**
 * What every driver's opt-in tooz lock mode (`lockMode: 'tooz'`) must give
 * against a Python tooz process on the same backend: each excludes the
 * other, a waiter on either side gets the lock once the other lets go, and
 * fencing tokens keep rising across SDK holders with Python holds between.
 */
export function toozLockConformance(target: ToozLockTarget): void {
  describe("lockMode 'tooz' against Python tooz", () => {
    it('a Python holder blocks the SDK: wait 0 is refused, and a waiter acquires once Python releases', async () => {
      const py = await target.python();
      const c = await target.sdk('tooz');
      const name = target.id('lock');
      expect(await py.run('try_lock', name)).toBe(true);
      expect(await rejectionOf(c.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
      expect(await c.lockHolder(name)).toEqual(await target.pythonHolder(name));
      const waiting = c.acquire(name, { wait: 20_000 });
      expect(await stillPending(waiting, 500)).toBe(true);
      expect(await py.run('unlock', name)).toBe(true);
      const lease = await waiting;
      expect(lease.state).toBe('held');
      expect(await c.lockHolder(name)).toEqual({ memberId: c.memberId, token: lease.fencingToken });
      await lease.release();
    });

    it('an SDK holder blocks Python: its try fails, and its blocking acquire succeeds once the SDK releases', async () => {
      const py = await target.python();
      const c = await target.sdk('tooz');
      const name = target.id('lock');
      const lease = await c.acquire(name, { wait: 0 });
      expect(await py.run('try_lock', name)).toBe(false);
      const pyWaiting = py.run('lock', name);
      // Longer than Python's own retry interval: it must still be refused while the SDK holds.
      expect(await stillPending(pyWaiting, target.pythonRetry * 1.5)).toBe(true);
      await lease.release();
      expect(await pyWaiting).toBe(true);
      expect(await rejectionOf(c.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
      expect(await py.run('unlock', name)).toBe(true);
      await (await c.acquire(name, { wait: 0 })).release();
    });

    it('keeps fencing tokens strictly increasing across SDK holders, with Python holds in between', async () => {
      const py = await target.python();
      const [a, b] = [await target.sdk('tooz'), await target.sdk('tooz')];
      const name = target.id('lock');
      const tokens: bigint[] = [];
      for (let round = 0; round < 4; round++) {
        const lease = await (round % 2 === 0 ? a : b).acquire(name, { wait: 10_000 });
        tokens.push(lease.fencingToken);
        await lease.release();
        expect(await py.run('try_lock', name)).toBe(true);
        expect(await py.run('unlock', name)).toBe(true);
      }
      for (let i = 1; i < tokens.length; i++) expect((tokens[i] ?? 0n) > (tokens[i - 1] ?? 0n)).toBe(true);
    });
  });
}
