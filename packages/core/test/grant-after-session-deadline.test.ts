import { type ConnectionState, connect } from '@tooz/core';
import type { Driver, DriverSession, LockBackend, TryAcquireResult } from '@tooz/core/driver';
import { firstValueFrom, from, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryServer, memory } from '../../testing/src/memory/index.js';

/**
 * The memory driver as a session backend (no refresh; the session's own
 * deadline says how long it is proven alive, as on MySQL, PostgreSQL or
 * ZooKeeper), whose first acquire answers only when the test says so.
 */
function sessionBackend(server: MemoryServer) {
  const base = memory({ server });
  let deadline = Number.POSITIVE_INFINITY;
  let answer: (() => void) | undefined;
  let attempts = 0;
  const driver: Driver = {
    capabilities: { ...base.capabilities, liveness: 'session' },
    description: 'memory, as a session backend',
    open: async (context) => {
      const session = (await firstValueFrom(from(base.open(context)))) as DriverSession;
      const locks = session.locks as LockBackend;
      const delayed: LockBackend = {
        tryAcquire: (key, options) => {
          const result = firstValueFrom(from(locks.tryAcquire(key, options)));
          if (attempts++ > 0) return result;
          return new Promise<TryAcquireResult>((resolve) => {
            answer = () => resolve(result);
          });
        },
        release: (key, handle) => locks.release(key, handle),
        holder: (key) => locks.holder(key),
        changes: (key) => locks.changes(key),
      };
      return {
        signals$: session.signals$,
        locks: delayed,
        sessionDeadline: () => deadline,
        close: () => session.close(),
      };
    },
  };
  return {
    driver,
    /** The process stood still past the session timeout while the first answer was on its way. */
    standStillThenAnswer: () => {
      deadline = -1;
      answer?.();
    },
    recover: () => {
      deadline = Number.POSITIVE_INFINITY;
    },
    get attempts() {
      return attempts;
    },
  };
}

describe('a grant answered after the session deadline', () => {
  it('is given back, never handed out: the lease comes from an attempt of the session after it', async () => {
    const server = new MemoryServer();
    const backend = sessionBackend(server);
    const coordinator = await connect(backend.driver, { memberId: 'a', ttl: 1_000 });
    const states: ConnectionState[] = [];
    const watching: Subscription = coordinator.state$.subscribe((state) => {
      states.push(state);
      // The loss is declared synchronously at the grant; the next attempt runs on a sound session.
      if (state === 'lost') backend.recover();
    });
    try {
      const leased = coordinator.acquire('x');
      while (backend.attempts === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      backend.standStillThenAnswer();
      const lease = await leased;
      const token = lease.fencingToken;
      await lease.release();
      expect(states).toContain('lost');
      // Token 1 was the stale grant: given back, not handed out.
      expect(token).toBe(2n);
      expect(backend.attempts).toBe(2);
    } finally {
      watching.unsubscribe();
      await coordinator.close();
    }
  });
});
