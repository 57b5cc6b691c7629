/**
 * The baseline: a bare pg client doing what the driver does for one
 * uncontended acquire+release, the same two round trips with the same SQL
 * (try-lock and fencing counter in one statement, unlock and notify in the
 * other), prepared once, as a hand-written loop would.
 */
import { advisoryKey, channelOf } from '@tooz/driver-postgres';
import { Client } from 'pg';
import { opsPerSecond } from './measure.js';

export async function rawOpsPerSecond(url: string, namespace: string, ms: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const schema = `"${namespace}"`;
  const name = Buffer.from('raw-bench');
  const key = advisoryKey(namespace, 'lock', 'raw-bench').toString();
  const member = Buffer.from('raw');
  const channel = channelOf(namespace);
  const payload = `R l ${name.toString('base64')}`;
  const acquire = {
    name: 'raw_acquire',
    text: `WITH attempt AS (SELECT pg_try_advisory_lock($3::bigint) AS ok)
           INSERT INTO ${schema}.locks AS t (kind, name, lock_key, token, holder, holder_pid)
           SELECT $1::text, $2::bytea, $3::bigint, 1, $4::bytea, pg_backend_pid() FROM attempt WHERE attempt.ok
           ON CONFLICT (kind, name) DO UPDATE
             SET token = t.token + 1, lock_key = excluded.lock_key, holder = excluded.holder,
                 holder_pid = excluded.holder_pid
           RETURNING t.token`,
    values: ['lock', name, key, member],
  };
  const release = {
    name: 'raw_release',
    text: 'SELECT pg_advisory_unlock($1::bigint) AS released, pg_notify($2::text, $3::text)',
    values: [key, channel, payload],
  };
  try {
    return await opsPerSecond(
      async () => {
        const taken = await client.query(acquire);
        if (taken.rowCount !== 1) throw new Error('raw acquire failed');
        BigInt(taken.rows[0].token);
        await client.query(release);
      },
      ms,
      100,
    );
  } finally {
    await client.end();
  }
}
