import { randomUUID } from 'node:crypto';
import { connect, ConnectionError, InvalidArgumentError, LockTimeoutError } from '@tooz/core';
import { fromUrl, MysqlKeys, mysql } from '@tooz/driver-mysql';
import { rejectionOf } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { mysqlPerFile } from './support/members.js';

const db = mysqlPerFile();

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected a refusal');
}

const tables = async (database: string) => {
  const [rows] = (await db.admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [
    database,
  ])) as unknown as [[{ n: number }]];
  return Number(rows[0].n);
};

describe('options', () => {
  it('refuses bad options naming the field, as given', () => {
    expect(refusal(() => mysql({ database: 'd', nope: 1 } as never)).field).toBe('options.nope');
    expect(refusal(() => mysql({ database: 'd', port: 70_000 })).field).toBe('options.port');
    expect(refusal(() => mysql({} as never)).field).toBe('options.database');
    expect(refusal(() => mysql({ database: 'd', sessionTimeout: 10 })).field).toBe('options.sessionTimeout');
    expect(refusal(() => mysql({ database: 'd', lockMode: 'x' as never })).field).toBe('options.lockMode');
    expect(refusal(() => mysql({ database: 'd', ssl: 'maybe' })).field).toBe('options.ssl');
    expect(refusal(() => mysql({ database: 'd', sslCa: '/nonexistent/ca.pem' })).field).toBe('options.sslCa');
  });

  it("accepts tooz's URL options and names a refused one as written", async () => {
    const url = (query: string) => `mysql://u:p@127.0.0.1:3306/db?${query}`;
    await expect(connect(url('ssl_verify_mode=sometimes'))).rejects.toMatchObject({
      field: 'options.ssl_verify_mode',
    });
    await expect(connect(url('unix_socket='))).rejects.toBeInstanceOf(ConnectionError);
    await expect(connect(url('ssl_capath=/nonexistent'))).rejects.toMatchObject({ field: 'options.ssl_capath' });
    await expect(connect(url('ssl=1&sslCa=/nonexistent'))).rejects.toMatchObject({ field: 'options.sslCa' });
    await expect(connect('mysql://u:p@h1,h2/db')).rejects.toMatchObject({ field: 'url.host' });
    expect(fromUrl).toBeTypeOf('function');
  });

  it('writes nothing when an option is refused, and connects with the same URL once it is fixed', async () => {
    const database = `fresh_${randomUUID().slice(0, 8)}`;
    await db.admin.query(`CREATE DATABASE ${database}`);
    const url = db.server.url.replace(/\/tooz$/, `/${database}`);
    await expect(connect(`${url}?lock_mode=sometimes`, { memberId: 'x' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(connect(url, { memberId: 'x', ttl: 2_000, keepaliveTimeout: 5_000 })).rejects.toMatchObject({
      field: 'options.keepaliveTimeout',
    });
    expect(await tables(database)).toBe(0);
    const coordinator = await connect(url, { memberId: 'x' });
    expect(await tables(database)).toBe(3);
    await coordinator.close();
  });

  it('a wrong password is a clear, final error without the password', async () => {
    const secret = `wrong-${randomUUID()}`;
    const url = db.server.url.replace(':tooz@', `:${secret}@`);
    const error = (await rejectionOf(connect(url, { memberId: 'x' }))) as Error;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/Access denied/);
    expect(error.message).not.toContain(secret);
    expect((error as ConnectionError).retryable).toBe(false);
  });
});

describe('names', () => {
  const odd = [
    'quote\'s "double"',
    'back\\slash\\',
    'é 😀 中文',
    'nul\u0000byte',
    '%_like',
    "'); DROP TABLE tooz_locks; --",
  ];

  it('ids with quotes, backslashes and unicode round-trip: locks, groups, members, capabilities', async () => {
    for (const id of odd) {
      const a = await db.connect({ memberId: `member ${id}` });
      const lease = await a.acquire(id);
      expect(await a.lockHolder(id)).toEqual({ memberId: `member ${id}`, token: lease.fencingToken });
      await lease.release();
      await a.group(id).create();
      const membership = a.group(id).join({ id });
      const sub = membership.subscribe();
      await expect
        .poll(() =>
          a
            .group(id)
            .members()
            .then((m) => m.get(`member ${id}`)),
        )
        .toEqual({ id });
      expect(await a.groups()).toContain(id);
      sub.unsubscribe();
    }
  });

  it('names past 64 characters, or with capitals, are hashed; names alike up to the limit stay apart', async () => {
    const keys = new MysqlKeys('tooz', 'native');
    const long = 'x'.repeat(80);
    expect(keys.lockName({ kind: 'lock', name: 'short' })).toBe('tooz:tooz:l:short');
    expect(keys.lockName({ kind: 'lock', name: 'Short' })).toMatch(/^tooz#[0-9a-f]{48}$/);
    expect(keys.lockName({ kind: 'lock', name: long })).toMatch(/^tooz#[0-9a-f]{48}$/);
    const [a, b] = [await db.connect({ memberId: 'a' }), await db.connect({ memberId: 'b' })];
    const first = await a.acquire(`${long}-1`);
    const second = await b.acquire(`${long}-2`, { wait: 0 });
    expect(await rejectionOf(b.acquire(`${long}-1`, { wait: 0 }))).toBeInstanceOf(LockTimeoutError);
    await Promise.all([first.release(), second.release()]);
  });

  it('two names whose server lock names agree are refused, never silently excluding each other', async () => {
    const a = await db.connect({ memberId: 'collider' });
    const name = `Collide-${randomUUID()}`;
    const lockName = new MysqlKeys('tooz', 'native').lockName({ kind: 'lock', name });
    // Another lock's record under that server name stands in for a hash collision.
    await db.admin.query(
      "INSERT INTO tooz_locks (lock_name, namespace, kind, name, token, holder, conn) VALUES (?, 'tooz', 'lock', 'another', 7, 'x', 0)",
      [lockName],
    );
    const error = (await rejectionOf(a.acquire(name, { wait: 0 }))) as Error;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('shares the server lock name');
    const [[row]] = (await db.admin.query('SELECT IS_FREE_LOCK(?) AS free, token FROM tooz_locks WHERE lock_name = ?', [
      lockName,
      lockName,
    ])) as unknown as [[{ free: number; token: string }]];
    expect({ free: Number(row.free), token: String(row.token) }).toEqual({ free: 1, token: '7' });
  });
});
