import { Client } from 'pg';
import type { PostgresServer } from './servers.js';

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
