import type { PgConnection } from './connection.js';
import { advisoryKey } from './keys.js';
import { SCHEMA_VERSION, type Statements, schemaDdl, versionFunction } from './sql.js';

/**
 * Creates the namespace's schema unless it is already there. Looking first
 * lets a role without CREATE privilege use a schema prepared by an admin;
 * creating under a transaction-level advisory lock keeps coordinators that
 * start together from racing on `IF NOT EXISTS` (which is not race-safe).
 */
export async function ensureSchema(connection: PgConnection, namespace: string, sql: Statements): Promise<void> {
  const [present] = await connection.query(sql.schemaPresent, [versionFunction(namespace)]);
  if (present?.present === true) {
    const [row] = await connection.query(sql.schemaVersion);
    if (Number(row?.version) >= SCHEMA_VERSION) return;
  }
  await connection.query('BEGIN');
  try {
    await connection.query(sql.schemaLock, [advisoryKey(namespace, 'schema').toString()]);
    await connection.query(schemaDdl(namespace));
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
