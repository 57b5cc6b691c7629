import { connect, type CoreOptionsInput } from '@tooz/core';
import { type PostgresServer, ProxiedMembers, startPostgres } from '@tooz/testing';
import { Client } from 'pg';
import { afterAll, beforeAll } from 'vitest';

/** A superuser connection to the test server, for looking behind the driver's back. */
export async function adminClient(server: PostgresServer): Promise<Client & AsyncDisposable> {
  const client = new Client({ connectionString: server.url, ssl: server.ssl ? { rejectUnauthorized: false } : false });
  client.on('error', () => undefined);
  await client.connect();
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.end() });
}

/** Ends the server sessions of connections with this application_name, waiting until they are gone. */
export async function terminate(admin: Client, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ ended: boolean }>(
    'SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows.filter((row) => row.ended).length;
}

/** Connections open with this application_name (the events connection has `/events` appended). */
export async function connectionsOf(admin: Client, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(
    'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name IN ($1, $2)',
    [applicationName, `${applicationName}/events`],
  );
  return Number(rows[0]?.n ?? 0);
}

type Options = CoreOptionsInput & Readonly<Record<string, unknown>>;

/** Coordinators behind fault proxies of their own, each with its member id as application_name (for `terminate`). */
export function postgresMembers(server: PostgresServer, defaults: Options = {}): ProxiedMembers {
  const open = (proxy: { via(url: string): string }, options: Options & { memberId: string }) =>
    connect(proxy.via(server.url), { applicationName: options.memberId, ...options });
  return new ProxiedMembers(server, open, defaults);
}

/**
 * One server for the test file, an admin connection to it, and members
 * behind fault proxies (`faults` ends a member's session with
 * pg_terminate_backend); all stopped after the file's tests.
 */
export function postgresPerFile(defaults: Options = {}) {
  const fixture = {
    server: undefined as unknown as PostgresServer,
    admin: undefined as unknown as Client,
    members: undefined as unknown as ProxiedMembers,
    faults: {
      suspend: (memberId: string) => fixture.members.suspend(memberId),
      resume: (memberId: string) => fixture.members.resume(memberId),
      expireSession: async (memberId: string) => {
        await terminate(fixture.admin, memberId);
      },
    },
  };
  beforeAll(async () => {
    fixture.server = await startPostgres();
    fixture.admin = await adminClient(fixture.server);
    fixture.members = postgresMembers(fixture.server, defaults);
  });
  afterAll(async () => {
    await fixture.members?.close();
    await fixture.admin?.end().catch(() => undefined);
    await fixture.server?.[Symbol.asyncDispose]();
  });
  return fixture;
}
