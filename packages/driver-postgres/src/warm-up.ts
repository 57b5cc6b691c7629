import type { PgConnection } from './connection.js';
import type { Statements } from './sql.js';

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
