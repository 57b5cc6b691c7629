import { connect, InvalidArgumentError } from '@tooz/core';
import { fromUrl, postgres } from '@tooz/driver-postgres';
import { rejectionOf, until } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { postgresPerFile } from './support/postgres.js';

const pg = postgresPerFile();

function refusal(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

/** Schemas and sessions on the server: what "nothing written" is checked against. */
async function footprint(): Promise<string> {
  const schemas = await pg.admin.query(`SELECT nspname FROM pg_namespace ORDER BY 1`);
  const sessions = await pg.admin.query(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'tooz%'`,
  );
  return JSON.stringify([schemas.rows, sessions.rows]);
}

function expectField(error: unknown, field: string): void {
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).field).toBe(field);
}

describe('bad input', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a port out of range', { port: 0 }, 'options.port'],
    ['a port that is not a number', { port: 'http' }, 'options.port'],
    ['an sslmode that would fall back to plain text', { sslmode: 'prefer' }, 'options.sslmode'],
    ['an unknown option', { poolSize: 3 }, 'options.poolSize'],
    ['a negative duration', { keepaliveInterval: -5 }, 'options.keepaliveInterval'],
    ['a duration too short', { livenessInterval: 1 }, 'options.livenessInterval'],
    ['a non-ASCII application name', { applicationName: 'é' }, 'options.applicationName'],
    ['an unknown lock mode', { lockMode: 'fair' }, 'options.lockMode'],
    ['an ssl object with unknown fields', { ssl: { rejectUnauthorised: false } }, 'options.ssl.rejectUnauthorised'],
    // 3 s less its margin (a tenth) is 2.7 s: suspended must come before lost...
    [
      'a keepalive timeout not shorter than the session',
      { sessionTimeout: 3_000, keepaliveTimeout: 2_700 },
      'options.keepaliveTimeout',
    ],
    // ...and an idle session must prove itself at least twice in that span.
    [
      'a keepalive interval too long for the session',
      { sessionTimeout: 3_000, keepaliveInterval: 1_400 },
      'options.keepaliveInterval',
    ],
  ])('postgres() refuses %s', (_, options, field) => {
    expectField(
      refusal(() => postgres(options as never)),
      field,
    );
  });

  it.each<[string, string, string]>([
    ['several hosts', 'postgres://h1:5432,h2:5432/db', 'url.host'],
    ['a malformed duration', 'postgres://h/db?connect_timeout=soon', 'options.connect_timeout'],
    ['an unknown parameter', 'postgres://h/db?pool_size=3', 'options.pool_size'],
    ['sslmode=allow', 'postgres://h/db?sslmode=allow', 'options.sslmode'],
    ['a bad port parameter', 'postgres://h/db?port=99999', 'options.port'],
    ['an unknown lock mode', 'postgresql://h/db?lock_mode=fair', 'options.lock_mode'],
    // tooz's executor belongs to its other drivers; its postgresql driver reads none.
    ['an option of another tooz driver', 'postgresql://h/db?executor=threaded', 'options.executor'],
    [
      'a keepalive timeout as long as the session',
      'postgres://h/db?session_timeout=3&keepalive_timeout=3',
      'options.keepalive_timeout',
    ],
  ])('connect(url) refuses %s before connecting', async (_, url, field) => {
    const before = await footprint();
    expectField(await rejectionOf(connect(url, { memberId: 'm' })), field);
    expect(await footprint()).toBe(before);
  });

  it('takes tooz-style host, port and dbname parameters and seconds in durations', async () => {
    const url = `postgresql://${pg.server.user}:${pg.server.password}@ignored:1/ignored?host=${pg.server.host}&port=${pg.server.port}&dbname=${pg.server.database}&connect_timeout=5&keepalive_interval=0.5`;
    await using coordinator = await connect(url, { memberId: 'tooz-style' });
    expect(coordinator.driver.description).toBe(
      `postgres://${pg.server.user}@${pg.server.host}:${pg.server.port}/${pg.server.database}`,
    );
    expect(coordinator.driver.description).not.toContain(`:${pg.server.password}@`);
    await (await coordinator.acquire('x')).release();
  });

  it("takes a tooz URL with every option tooz's postgresql driver reads, and tooz's timeouts", async () => {
    const url = `postgresql://${pg.server.user}:${pg.server.password}@/?host=${pg.server.host}&port=${pg.server.port}&dbname=${pg.server.database}&timeout=10&lock_timeout=30&membership_timeout=30&lock_mode=tooz`;
    await using coordinator = await connect(url, { memberId: 'tooz-url' });
    expect(coordinator.driver.description).toBe(
      `postgres://${pg.server.user}@${pg.server.host}:${pg.server.port}/${pg.server.database}`,
    );
    await (await coordinator.acquire('tooz-url')).release();
  });

  it("refuses keepalives that cannot fit in the coordinator's ttl (the default session timeout), writing nothing", async () => {
    const before = await footprint();
    const error = await rejectionOf(connect(`${pg.server.url}?keepalive_timeout=2`, { memberId: 'm', ttl: 2_000 }));
    expectField(error, 'options.keepaliveTimeout');
    expect(await footprint()).toBe(before);
  });

  it('refuses a reserved namespace, writing nothing', async () => {
    const before = await footprint();
    expectField(await rejectionOf(connect(pg.server.url, { memberId: 'm', namespace: 'pg_toast2' })), 'namespace');
    expect(await footprint()).toBe(before);
  });

  it('refuses an unreadable certificate file, writing nothing', async () => {
    const before = await footprint();
    const error = await rejectionOf(
      connect(`${pg.server.url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem`, { memberId: 'm' }),
    );
    expectField(error, 'options.sslrootcert');
    expect(await footprint()).toBe(before);
  });

  it('fromUrl is what connect() calls for postgres:// and postgresql://', () => {
    const driver = fromUrl(
      {
        scheme: 'postgresql',
        username: 'u',
        password: 'p',
        hosts: [{ host: 'db', port: 6543 }],
        path: '/app',
        params: new URLSearchParams(),
        redacted: '',
      },
      { sslmode: 'verify-full' },
    );
    expect(driver.capabilities.name).toBe('postgres');
    expect(driver.description).toBe('postgres://u@db:6543/app?sslmode=verify-full');
  });

  it('delivers capabilities too large for a NOTIFY payload by re-reading the group', async () => {
    await using a = await connect(pg.server.url, { memberId: 'big-a' });
    await using b = await connect(pg.server.url, { memberId: 'big-b' });
    await a.group('big').create();
    const blob = 'x'.repeat(20_000);
    using watch = await b.group('big').watch();
    const joined = until(watch.events$);
    a.group('big')
      .join({ blob })
      .subscribe({ error: () => undefined });
    expect(await joined).toEqual({ type: 'joined', groupId: 'big', memberId: 'big-a', capabilities: { blob } });
  });
});
