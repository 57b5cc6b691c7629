import type { PgConnection } from './connection.js';
import { SCHEMA_VERSION, type Statements, schemaDdl, versionFunction } from './sql.js';

/**
 * Creates the namespace's schema unless it is already there. Looking first
 * lets a role without CREATE privilege use a schema prepared by an admin;
 * creating under a transaction-level advisory lock keeps coordinators that
 * start together from racing on `IF NOT EXISTS` (which is not race-safe).
 */
export async function ensureSchema(
  connection: PgConnection,
  namespace: string,
  schemaLock: string,
  sql: Statements,
): Promise<void> {
  const [present] = await connection.query(sql.schemaPresent, [versionFunction(namespace)]);
  if (present?.present === true) {
    const [row] = await connection.query(sql.schemaVersion);
    if (Number(row?.version) >= SCHEMA_VERSION) return;
  }
  await connection.query('BEGIN');
  try {
    await connection.query(sql.schemaLock, [schemaLock]);
    await connection.query(schemaDdl(namespace));
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Runs the hot statements once with NULL keys, which makes each a no-op (the
 * advisory lock functions are strict: NULL in, NULL out, nothing taken).
 * A fresh backend spends milliseconds loading catalogs and planning on first
 * use; paying that at connect keeps it off the first acquire, join and read.
 */
export async function warmUp(connection: PgConnection, sql: Statements, role: 'session' | 'events'): Promise<void> {
  const none = Buffer.alloc(0);
  const work =
    role === 'session'
      ? [
          connection.query(sql.acquireLock, ['lock', none, null, none]),
          connection.query(sql.acquireSeat, ['leader', none, null, none, null, null]),
          connection.query(sql.joinGroup, [null, none, none, null, null, null]),
        ]
      : [
          connection.query(sql.holder, ['leader', none]),
          connection.query(sql.members, [none]),
          connection.query(sql.sweep, [[], [], null]),
        ];
  await Promise.all(work);
}
