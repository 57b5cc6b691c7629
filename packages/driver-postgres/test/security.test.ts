import { inspect } from 'node:util';
import { ConnectionError, type Coordinator, connect, isToozError } from '@tooz/core';
import { rejectionOf, startPostgres } from '@tooz/testing';
import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { adminClient } from './support/postgres.js';

/** Everything an error could show: message, stack, causes, fields. */
function everything(error: unknown): string {
  return inspect(error, { depth: 10, showHidden: true });
}

async function exercise(coordinator: Coordinator, suffix: string): Promise<void> {
  const lease = await coordinator.acquire(`lock-${suffix}`);
  expect(lease.fencingToken > 0n).toBe(true);
  await lease.release();
  const group = coordinator.group(`group-${suffix}`);
  await group.create();
  await new Promise<void>((resolve, reject) =>
    group.join({ ok: true }).subscribe({ next: () => resolve(), error: reject }),
  );
  expect((await group.members()).get(coordinator.memberId)).toEqual({ ok: true });
}

describe('credentials', () => {
  it('logs in with a password (scram-sha-256) as a user of its own database', async () => {
    await using server = await startPostgres({ user: 'app', password: 'correct horse', database: 'appdb' });
    await using coordinator = await connect(server.url, { memberId: 'm' });
    await exercise(coordinator, 'pw');
  });

  it('refuses a wrong password with a clear, final error that never shows the password', async () => {
    await using server = await startPostgres({ user: 'app', password: 'right-one', database: 'appdb' });
    const secret = 'Wr0ng-Pa55word!';
    const url = `postgres://app:${encodeURIComponent(secret)}@${server.host}:${server.port}/appdb`;
    const error = await rejectionOf(connect(url, { memberId: 'm' }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/password authentication failed/);
    expect(everything(error)).not.toContain(secret);
    expect(everything(error)).not.toContain(encodeURIComponent(secret));
    const viaOption = await rejectionOf(
      connect(`postgres://app@${server.host}:${server.port}/appdb`, { memberId: 'm', password: secret }),
    );
    expect((viaOption as ConnectionError).retryable).toBe(false);
    expect(everything(viaOption)).not.toContain(secret);
  });

  it('works with the least privileges the README lists', async () => {
    await using server = await startPostgres();
    await using admin = await adminClient(server);
    // Creates its own schema: CONNECT and CREATE on the database.
    await admin.query(`CREATE ROLE creator LOGIN PASSWORD 'creator-pw'`);
    await admin.query(`GRANT CONNECT, CREATE ON DATABASE ${server.database} TO creator`);
    const base = `${server.host}:${server.port}/${server.database}`;
    {
      await using coordinator = await connect(`postgres://creator:creator-pw@${base}`, {
        memberId: 'creator',
        namespace: 'owned',
      });
      await exercise(coordinator, 'creator');
    }
    // Uses a schema an admin prepared: no CREATE at all.
    {
      await using prepared = await connect(server.url, { memberId: 'admin', namespace: 'prepared' });
      await prepared.groups();
    }
    await admin.query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw'`);
    await admin.query(`REVOKE CREATE ON DATABASE ${server.database} FROM PUBLIC`);
    await admin.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    for (const grant of [
      'GRANT USAGE ON SCHEMA prepared TO plain',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA prepared TO plain',
      'GRANT USAGE ON ALL SEQUENCES IN SCHEMA prepared TO plain',
      'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA prepared TO plain',
    ]) {
      await admin.query(grant);
    }
    await using plain = await connect(`postgres://plain:plain-pw@${base}`, {
      memberId: 'plain',
      namespace: 'prepared',
    });
    await exercise(plain, 'plain');
    // Without CREATE, a schema that is not there is refused clearly and for good.
    const refused = await rejectionOf(
      connect(`postgres://plain:plain-pw@${base}`, { memberId: 'plain2', namespace: 'elsewhere' }),
    );
    expect(refused).toBeInstanceOf(ConnectionError);
    expect((refused as ConnectionError).retryable).toBe(false);
    expect((refused as Error).message).toMatch(/permission denied/);
  });
});

describe('TLS', () => {
  it('connects with sslmode=verify-full against the server CA, and with require', async () => {
    await using server = await startPostgres({ ssl: true });
    const ca = server.certs?.ca ?? '';
    const url = `${server.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
    await using verified = await connect(url, { memberId: 'v' });
    await exercise(verified, 'verified');
    await using admin = await adminClient(server);
    const { rows } = await admin.query<{ ssl: boolean }>(
      `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'tooz'`,
    );
    expect(rows.length).toBe(1);
    expect(rows.every((row) => row.ssl)).toBe(true);
    await using required = await connect(`${server.url}?sslmode=require`, { memberId: 'r' });
    await exercise(required, 'required');
  });

  it('refuses plain text on an SSL-only server, and a server whose certificate it cannot verify', async () => {
    await using server = await startPostgres({ ssl: true });
    const plain = await rejectionOf(connect(`${server.url}?sslmode=disable`, { memberId: 'p' }));
    expect(plain).toBeInstanceOf(ConnectionError);
    expect((plain as ConnectionError).retryable).toBe(false);
    await using other = await startPostgres({ ssl: true });
    const foreignCa = other.certs?.ca ?? '';
    const untrusted = await rejectionOf(
      connect(`${server.url}?sslmode=verify-ca&sslrootcert=${encodeURIComponent(foreignCa)}`, { memberId: 'u' }),
    );
    expect(untrusted).toBeInstanceOf(ConnectionError);
    expect((untrusted as ConnectionError).retryable).toBe(false);
  });

  it('presents a client certificate when the server requires one', async () => {
    await using server = await startPostgres({ ssl: { clientAuth: true } });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const files = `sslrootcert=${encodeURIComponent(certs.ca)}&sslcert=${encodeURIComponent(certs.clientCert)}&sslkey=${encodeURIComponent(certs.clientKey)}`;
    await using coordinator = await connect(`${server.url}?sslmode=verify-full&${files}`, { memberId: 'c' });
    await exercise(coordinator, 'client-cert');
    const refused = await rejectionOf(
      connect(`${server.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`, { memberId: 'n' }),
    );
    expect(isToozError(refused, 'CONNECTION')).toBe(true);
  });
});

describe('parameterised SQL', () => {
  const hostile = [
    "quote'd",
    'double"quote',
    "x'); DROP TABLE tooz.locks; --",
    'semi;colon',
    '$1 $$ $fn$',
    'back\\slash',
    'é 😀 中文',
    '\u0000nul',
    'new\nline',
    ' padded ',
  ];

  it('round-trips ids with quotes, semicolons, dollar quotes, NUL and unicode, and leaves the tables intact', async () => {
    await using server = await startPostgres();
    await using admin = await adminClient(server);
    for (const [i, id] of hostile.entries()) {
      await using a = await connect(server.url, { memberId: `${id}-a${i}` });
      await using b = await connect(server.url, { memberId: `${id}-b${i}` });
      const lease = await a.acquire(id);
      expect(await rejectionOf(b.acquire(id, { wait: 0 }))).toHaveProperty('code', 'LOCK_TIMEOUT');
      await lease.release();
      await a.group(id).create();
      expect(await a.groups()).toContain(id);
      using watch = await b.group(id).watch();
      const events = lastValueFrom(watch.events$.pipe(take(2), toArray()));
      const membership = await new Promise<{ unsubscribe(): void }>((resolve, reject) => {
        const subscription = a
          .group(id)
          .join({ id })
          .subscribe({ next: () => resolve(subscription), error: reject });
      });
      expect((await b.group(id).members()).get(a.memberId)).toEqual({ id });
      membership.unsubscribe();
      expect(await events).toEqual([
        { type: 'joined', groupId: id, memberId: a.memberId, capabilities: { id } },
        { type: 'left', groupId: id, memberId: a.memberId },
      ]);
      const leadership = a.leadership(id);
      const candidacy = leadership.subscribe();
      await leadership.whenLeading();
      expect(await lastValueFrom(b.leadership(id).leader$.pipe(take(1)))).toBe(a.memberId);
      candidacy.unsubscribe();
    }
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'tooz'`,
    );
    expect(Number(rows[0]?.n)).toBe(4);
  });

  it('keeps namespaces apart, each in a schema of its own', async () => {
    await using server = await startPostgres();
    await using a = await connect(server.url, { memberId: 'a', namespace: 'team-a.v1' });
    await using b = await connect(server.url, { memberId: 'b', namespace: 'Team_B' });
    const lease = await a.acquire('same-name');
    await (await b.acquire('same-name', { wait: 0 })).release();
    await lease.release();
    await using admin = await adminClient(server);
    const { rows } = await admin.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname IN ('team-a.v1', 'Team_B') ORDER BY nspname`,
    );
    expect(rows.map((row) => row.nspname)).toEqual(['Team_B', 'team-a.v1']);
  });
});
