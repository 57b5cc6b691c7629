import type { DriverSession, LockBackend, LockHandle, SessionSignal } from '@tooz/core/driver';
import { mysql } from '@tooz/driver-mysql';
import { driverContext, type MysqlServer, startFaultProxy, startMysql, waitUntil } from '@tooz/testing';
import { type Connection, createConnection } from 'mysql2/promise';
import { asyncScheduler, from, lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: MysqlServer;
let admin: Connection;
beforeAll(async () => {
  server = await startMysql();
  admin = await createConnection(server.url);
});
afterAll(async () => {
  await admin?.end();
  await server?.[Symbol.asyncDispose]();
});

/** 3 s less its margin (a tenth): the session is proven for 2,700 ms after each answered send; wait_timeout is 3 s. */
const SESSION_TIMEOUT = 3_000;
const PROVEN_FOR = 2_700;

const heldBy = async (name: string) => {
  const [[row]] = (await admin.query('SELECT IS_USED_LOCK(?) AS id', [name])) as unknown as [[{ id: number | null }]];
  return row.id === null ? null : Number(row.id);
};

describe('sessionDeadline() (the SPI core reads on every synchronous "do you hold it")', () => {
  it('advances with answered pings, stands still while nothing is answered, and passes before the server frees the locks', async () => {
    await using proxy = await startFaultProxy({ target: server });
    const driver = mysql({
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
      await waitUntil(() => deadline() > first, 20_000, 'an answered ping');

      const locks = session.locks as LockBackend<LockHandle>;
      const taken = await lastValueFrom(from(locks.tryAcquire({ kind: 'lock', name: 'deadline' }, { ttl: 0 })));
      expect(taken.acquired).toBe(true);
      const name = 'tooz:tooz:l:deadline';
      const holder = await heldBy(name);
      expect(holder).not.toBeNull();

      const seen: { signal: SessionSignal; now: number; deadline: number; heldBy?: Promise<number | null> }[] = [];
      let atSuspension = Number.NaN;
      from(session.signals$).subscribe((signal) => {
        if (signal === 'suspended') atSuspension = deadline();
        // The server's word at the moment the client gives up: the lock must still be the old session's.
        seen.push({
          signal,
          now: scheduler.now(),
          deadline: deadline(),
          ...(signal === 'lost' ? { heldBy: heldBy(name) } : {}),
        });
      });
      proxy.suspend();
      await waitUntil(() => seen.some(({ signal }) => signal === 'lost'), 20_000, 'the loss');
      expect(seen.map(({ signal }) => signal).slice(0, 2)).toEqual(['suspended', 'lost']);
      const lost = seen.find(({ signal }) => signal === 'lost');
      // Nothing was answered while suspended: the deadline stood still, and the loss came at it.
      expect(lost?.now).toBeGreaterThanOrEqual(atSuspension);
      expect(lost?.deadline).toBe(Number.NEGATIVE_INFINITY);
      expect(await lost?.heldBy).toBe(holder);
      // Then wait_timeout ends the old session on the server, and the lock is free.
      await waitUntil(async () => (await heldBy(name)) === null, 20_000, 'the server freeing the lock');
      proxy.resume();
      await waitUntil(() => seen.some(({ signal }) => signal === 'reconnected'), 20_000, 'a new session');
      expect(deadline()).toBeGreaterThan(lost?.now ?? 0);
    } finally {
      await lastValueFrom(from(session.close()), { defaultValue: undefined });
    }
  });
});
