/**
 * Raw baseline for many locks in flight on postgres: one pg connection in
 * pipeline mode (as the driver's session connection), each worker sending
 * the driver's two statements for its own name: the try-lock with the
 * fencing counter in one statement, the unlock with its notice in the other
 * (the same SQL as postgres-raw.ts, which the one-at-a-time bench uses).
 */
import { advisoryKey, channelOf } from '@tooz/driver-postgres';
import { Client } from 'pg';
import type { Backend } from './backends.js';
import { type Loop, throughput } from './loops.js';

/** The schema the SDK's coordinators create (the default namespace): the raw loop writes the same table. */
const NAMESPACE = 'tooz';

export async function rawPostgres(backend: Backend, workers: number): Promise<Loop> {
  const client = new Client({ connectionString: backend.url, pipeline: true });
  await client.connect();
  const member = Buffer.from('raw');
  const channel = channelOf(NAMESPACE);
  const statements = Array.from({ length: workers }, (_, worker) => {
    const name = Buffer.from(`raw-inflight-${worker}`);
    const key = advisoryKey(NAMESPACE, 'lock', name.toString()).toString();
    return {
      acquire: {
        name: 'raw_inflight_acquire',
        text: `WITH attempt AS (SELECT pg_try_advisory_lock($3::bigint) AS ok)
           INSERT INTO "${NAMESPACE}".locks AS t (kind, name, lock_key, token, holder, holder_pid)
           SELECT $1::text, $2::bytea, $3::bigint, 1, $4::bytea, pg_backend_pid() FROM attempt WHERE attempt.ok
           ON CONFLICT (kind, name) DO UPDATE
             SET token = t.token + 1, lock_key = excluded.lock_key, holder = excluded.holder,
                 holder_pid = excluded.holder_pid
           RETURNING t.token`,
        values: ['lock', name, key, member],
      },
      release: {
        name: 'raw_inflight_release',
        text: 'SELECT pg_advisory_unlock($1::bigint) AS released, pg_notify($2::text, $3::text)',
        values: [key, channel, `R l ${name.toString('base64')}`],
      },
    };
  });
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const { acquire, release } = statements[worker] as (typeof statements)[number];
        const taken = await client.query(acquire);
        if (taken.rowCount !== 1) throw new Error('raw acquire refused');
        BigInt(taken.rows[0].token);
        await client.query(release);
      }),
    close: () => client.end(),
  };
}
