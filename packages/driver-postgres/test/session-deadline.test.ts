import type { DriverSession, SessionSignal } from '@tooz/core/driver';
import { postgres } from '@tooz/driver-postgres';
import { driverContext, type PostgresServer, startFaultProxy, startPostgres, waitUntil } from '@tooz/testing';
import { asyncScheduler, from, lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/** 1.5 s less its margin (a tenth): the session is proven for 1,350 ms after each answered send. */
const SESSION_TIMEOUT = 1_500;
const PROVEN_FOR = 1_350;

describe('sessionDeadline() (the SPI core reads on every synchronous "do you hold it")', () => {
  it('advances with answered keepalives, stands still while nothing is answered, and is passed when the session is lost', async () => {
    await using proxy = await startFaultProxy({ target: server });
    const driver = postgres({
      host: proxy.host,
      port: proxy.port,
      user: server.user,
      password: server.password,
      database: server.database,
      sessionTimeout: SESSION_TIMEOUT,
      keepaliveInterval: 100,
      keepaliveTimeout: 300,
    });
    const scheduler = asyncScheduler;
    const context = driverContext({ memberId: 'deadline', scheduler, ttl: SESSION_TIMEOUT });
    const session: DriverSession = await lastValueFrom(from(driver.open(context)));
    try {
      const deadline = () => session.sessionDeadline?.() ?? Number.POSITIVE_INFINITY;
      const first = deadline();
      // Dated from a send that happened before now.
      expect(first).toBeLessThanOrEqual(scheduler.now() + PROVEN_FOR);
      await waitUntil(() => deadline() > first, 20_000, 'an answered keepalive');

      const seen: { signal: SessionSignal; now: number; deadline: number }[] = [];
      let atSuspension = Number.NaN;
      from(session.signals$).subscribe((signal) => {
        if (signal === 'suspended') atSuspension = deadline();
        seen.push({ signal, now: scheduler.now(), deadline: deadline() });
      });
      proxy.suspend();
      await waitUntil(() => seen.some(({ signal }) => signal === 'lost'), 20_000, 'the loss');
      const lost = seen.find(({ signal }) => signal === 'lost');
      expect(seen.map(({ signal }) => signal).slice(0, 2)).toEqual(['suspended', 'lost']);
      // Given up at its deadline, not before; and nothing is proven once lost.
      expect(lost?.now).toBeGreaterThanOrEqual(atSuspension);
      expect(lost?.deadline).toBe(Number.NEGATIVE_INFINITY);

      proxy.resume();
      await waitUntil(() => seen.some(({ signal }) => signal === 'reconnected'), 20_000, 'a new session');
      // The new session's proof is dated from its own statements, all sent after the loss.
      expect(deadline()).toBeGreaterThan(lost?.now ?? Number.POSITIVE_INFINITY);
    } finally {
      await lastValueFrom(from(session.close()), { defaultValue: undefined });
    }
  });
});
