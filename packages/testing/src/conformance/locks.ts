import { waitUntil } from '../wait-until.js';
import {
  CoordinatorClosedError,
  InvalidArgumentError,
  LockLostError,
  LockTimeoutError,
  isToozError,
  type LockLease,
  withLock,
} from '@tooz/core';
import { lastValueFrom, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type ConformanceTarget, harness, pause, rejectionOf } from './harness.js';

/** Locks: exclusion, fencing, prompt release, waiting without polling, keep-alive, loss. */
export function lockConformance(target: ConformanceTarget): void {
  const { primitives } = target.capabilities;
  describe.skipIf(!primitives.locks)('locks', () => {
    const h = harness(target);
    const long = Math.max(30_000, target.ttl * 3);

    it('acquires and releases, with a positive bigint fencing token', async () => {
      const a = await h.coordinator();
      const name = h.id('lock');
      const lease = await a.acquire(name);
      expect(typeof lease.fencingToken).toBe('bigint');
      expect(lease.fencingToken > 0n).toBe(true);
      expect(lease.state).toBe('held');
      expect(lease.name).toBe(name);
      await lease.release();
      await (await a.acquire(name, { wait: 0 })).release();
    });

    it('excludes another coordinator while held (wait: 0 tries once)', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const lease = await a.acquire(name);
      const error = await rejectionOf(b.acquire(name, { wait: 0 }));
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as LockTimeoutError).lockName).toBe(name);
      await lease.release();
    });

    it('is not re-entrant: a second subscription on the same coordinator waits', async () => {
      const a = await h.coordinator();
      const name = h.id('lock');
      const first = await a.acquire(name);
      expect(await rejectionOf(a.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
      await first.release();
      await (await a.acquire(name, { wait: 0 })).release();
    });

    it.skipIf(!primitives.fencing)('gives strictly increasing fencing tokens across holders', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const tokens: bigint[] = [];
      for (let round = 0; round < 6; round++) {
        const lease = await (round % 2 === 0 ? a : b).acquire(name);
        tokens.push(lease.fencingToken);
        await lease.release();
      }
      for (let i = 1; i < tokens.length; i++) expect((tokens[i] ?? 0n) > (tokens[i - 1] ?? 0n)).toBe(true);
    });

    it('hands the lock to a waiter on release, without waiting for the TTL', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const held = await a.acquire(name, { ttl: long });
      // The waiter's patience is well under the holder's TTL: only a release notification can wake it in time.
      const waiting = b.acquire(name, { wait: Math.min(h.patience, long / 2) });
      await pause(50);
      await held.release();
      const next = await waiting;
      expect(next.fencingToken > held.fencingToken).toBe(true);
      await next.release();
    });

    it('releases on unsubscribe, and the next waiter gets it', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const leases: LockLease[] = [];
      const subscription = a.lock(name, { ttl: long }).subscribe((lease) => leases.push(lease));
      await waitUntil(() => leases.length === 1, h.patience);
      const waiting = b.acquire(name, { wait: Math.min(h.patience, long / 2) });
      subscription.unsubscribe();
      await (await waiting).release();
    });

    it('cancels a pending acquire on unsubscribe, leaving nothing held', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const held = await a.acquire(name);
      const pending = b.lock(name).subscribe();
      await pause(20);
      pending.unsubscribe();
      await held.release();
      // A fair queue removes the abandoned entry with one more request: it must go, not instantly.
      await (await a.acquire(name, { wait: h.patience })).release();
    });

    it('aborts a pending acquire through its AbortSignal', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const held = await a.acquire(name);
      const controller = new AbortController();
      const waiting = b.acquire(name, { signal: controller.signal });
      controller.abort(new Error('gave up'));
      expect(((await rejectionOf(waiting)) as Error).message).toBe('gave up');
      await held.release();
      // The aborted attempt may still be on the wire (core never abandons one
      // in flight: a success is given back), so this one may have to wait for it.
      await (await b.acquire(name, { wait: h.patience })).release();
    });

    it('keeps a lock alive past several TTLs while subscribed', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const lease = await a.acquire(name, { ttl: target.ttl });
      await pause(target.ttl * 2.5);
      expect(lease.state).toBe('held');
      expect(lease.signal.aborted).toBe(false);
      expect(await rejectionOf(b.acquire(name, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
      await lease.release();
    });

    it('lets exactly one of many contenders hold at a time, with increasing tokens', async () => {
      const contenders = await Promise.all(Array.from({ length: 5 }, () => h.coordinator()));
      const name = h.id('lock');
      let inside = 0;
      let maxInside = 0;
      const tokens: bigint[] = [];
      await Promise.all(
        contenders.map(async (coordinator) => {
          for (let i = 0; i < 4; i++) {
            const lease = await coordinator.acquire(name, { wait: h.patience });
            inside++;
            maxInside = Math.max(maxInside, inside);
            tokens.push(lease.fencingToken);
            await pause(2);
            inside--;
            await lease.release();
          }
        }),
      );
      expect(maxInside).toBe(1);
      expect(tokens).toHaveLength(20);
      for (let i = 1; i < tokens.length; i++) expect((tokens[i] ?? 0n) > (tokens[i - 1] ?? 0n)).toBe(true);
    });

    it('withLock releases when the work completes and when it fails', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const token = await lastValueFrom(withLock(a, name, (lease) => of(lease.fencingToken)));
      expect(typeof token).toBe('bigint');
      await (await b.acquire(name, { wait: 0 })).release();
      const failure = new Error('work failed');
      await expect(lastValueFrom(withLock(a, name, () => throwError(() => failure)))).rejects.toBe(failure);
      await (await b.acquire(name, { wait: 0 })).release();
    });

    it('close() releases held locks, aborts their signals as closed, and completes instead of erroring', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const [name, other] = [h.id('lock'), h.id('lock')];
      const errors: unknown[] = [];
      const leases: LockLease[] = [];
      let completed = 0;
      a.lock(name, { ttl: long }).subscribe({
        next: (lease) => leases.push(lease),
        error: (error: unknown) => errors.push(error),
        complete: () => completed++,
      });
      await waitUntil(() => leases.length === 1, h.patience);
      // A second acquire of the same name waits behind the first, locally: close() ends that wait too.
      const waiting = rejectionOf(a.acquire(name, { wait: long }));
      const otherLease = await a.acquire(other, { ttl: long });
      await a.close();
      expect(errors).toEqual([]);
      expect(completed).toBe(1);
      const lease = leases[0] as LockLease;
      expect(lease.state).toBe('released');
      expect(lease.signal.aborted).toBe(true);
      expect(lease.signal.reason).toBeInstanceOf(CoordinatorClosedError);
      expect(otherLease.state).toBe('released');
      expect(await waiting).toBeInstanceOf(CoordinatorClosedError);
      await (await b.acquire(name, { wait: Math.min(h.patience, long / 2) })).release();
      await (await b.acquire(other, { wait: Math.min(h.patience, long / 2) })).release();
    });

    it('refuses an option it does not know, naming it, before anything is written', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const options = { shared: true } as unknown as { ttl: number };
      expect(() => a.lock(name, options)).toThrow(InvalidArgumentError);
      expect(await rejectionOf(a.acquire(name, options))).toMatchObject({ field: 'options.shared' });
      await (await b.acquire(name, { wait: 0 })).release();
    });

    it('lockHolder() names the holder and its token, and null once released', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      expect(await b.lockHolder(name)).toBeNull();
      const lease = await a.acquire(name);
      expect(await b.lockHolder(name)).toEqual({ memberId: a.memberId, token: lease.fencingToken });
      await lease.release();
      expect(await b.lockHolder(name)).toBeNull();
    });

    it('diagnose() times a round trip and reports the driver', async () => {
      const a = await h.coordinator();
      const report = await a.diagnose();
      expect(report.driver).toBe(target.capabilities.name);
      expect(report.roundTripMs).toBeGreaterThanOrEqual(0);
      expect(Array.isArray(report.warnings)).toBe(true);
    });

    it('a released lease reads released, never held again', async () => {
      const a = await h.coordinator();
      const lease = await a.acquire(h.id('lock'));
      expect(lease.state).toBe('held');
      await lease.release();
      expect(lease.state).toBe('released');
      expect(lease.signal.aborted).toBe(false);
      expect(await lastValueFrom(lease.state$)).toBe('released');
    });

    it('tells the holder when its lock is broken by someone else', async () => {
      const [a, b] = [await h.coordinator(), await h.coordinator()];
      const name = h.id('lock');
      const lease = await a.acquire(name);
      let broken: boolean;
      try {
        broken = await b.breakLock(name);
      } catch (error) {
        if (isToozError(error, 'NOT_SUPPORTED')) return;
        throw error;
      }
      expect(broken).toBe(true);
      const reason = await h.next(lease.state$, (state) => state === 'lost', 'loss of the broken lock');
      expect(reason).toBe('lost');
      expect(lease.signal.aborted).toBe(true);
      expect(lease.signal.reason).toBeInstanceOf(LockLostError);
      const next = await b.acquire(name, { wait: 0 });
      expect(next.fencingToken > lease.fencingToken).toBe(true);
      await next.release();
    });

    it.skipIf(!target.faults?.suspend)('moves a lease to at-risk while suspended, and back to held', async () => {
      const faults = target.faults;
      const a = await h.coordinator();
      const lease = await a.acquire(h.id('lock'), { ttl: long });
      await faults?.suspend?.(a.memberId);
      await h.next(lease.state$, (state) => state === 'at-risk', 'at-risk');
      await faults?.resume?.(a.memberId);
      await h.next(lease.state$, (state) => state === 'held', 'held again');
      await lease.release();
    });

    it.skipIf(!target.faults?.suspend || target.capabilities.liveness !== 'ttl')(
      'reports the loss to a holder cut off past its TTL, before anyone else can hold it',
      async () => {
        const faults = target.faults;
        const [a, b] = [await h.coordinator(), await h.coordinator()];
        const name = h.id('lock');
        const lease = await a.acquire(name, { ttl: target.ttl });
        await faults?.suspend?.(a.memberId);
        const waiting = b.acquire(name, { wait: h.patience });
        // Whoever acquires next must find the old holder already told.
        const next = await waiting;
        expect(lease.state).toBe('lost');
        expect(lease.signal.aborted).toBe(true);
        expect(next.fencingToken > lease.fencingToken).toBe(true);
        await faults?.resume?.(a.memberId);
        await next.release();
      },
    );

    it.skipIf(!target.faults?.expireSession)('signals LockLostError when the session expires', async () => {
      const a = await h.coordinator();
      const errors: unknown[] = [];
      const leases: LockLease[] = [];
      a.lock(h.id('lock'), { ttl: long }).subscribe({
        next: (lease) => leases.push(lease),
        error: (error: unknown) => errors.push(error),
      });
      await waitUntil(() => leases.length === 1, h.patience);
      await target.faults?.expireSession?.(a.memberId);
      await waitUntil(() => errors.length > 0, h.patience);
      expect(errors[0]).toBeInstanceOf(LockLostError);
    });

    it('releasing twice is harmless, and a release after close too', async () => {
      const a = await h.coordinator();
      const name = h.id('lock');
      const lease = await a.acquire(name);
      await lease.release();
      await lease.release();
      const again = await a.acquire(name, { wait: 0 });
      await a.close();
      await again.release();
    });

    it('is usable as a promise with await using', async () => {
      const a = await h.coordinator();
      const name = h.id('lock');
      {
        await using lease = await a.acquire(name);
        expect(lease.state).toBe('held');
      }
      await (await a.acquire(name, { wait: 0 })).release();
    });
  });
}
