import { connect, type LockLease } from '@tooz/core';
import { startPostgres, waitUntil } from '@tooz/testing';
import type { Client } from 'pg';
import { firstValueFrom, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { adminClient, connectionsOf } from './support/postgres.js';

const LOCKS = 10_000;

/** Advisory locks held by the sessions with this application_name. */
async function advisoryLocksOf(admin: Client, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
     WHERE l.locktype = 'advisory' AND a.application_name = $1`,
    [applicationName],
  );
  return Number(rows[0]?.n);
}

describe('scale', () => {
  it(`holds ${LOCKS.toLocaleString('en-US')} locks on one session, with two connections`, async () => {
    // Every held advisory lock takes a slot in the server's shared lock table
    // (max_locks_per_transaction × max_connections slots): the README says so.
    await using server = await startPostgres({ settings: { max_locks_per_transaction: '256' } });
    await using admin = await adminClient(server);
    await using holder = await connect(server.url, { memberId: 'holder', applicationName: 'holder' });
    await using other = await connect(server.url, { memberId: 'other' });
    const leases: LockLease[] = [];
    const subscriptions: Subscription[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < LOCKS; i++) {
      subscriptions.push(
        holder.lock(`many-${i}`).subscribe({ next: (lease) => leases.push(lease), error: (e) => errors.push(e) }),
      );
    }
    await waitUntil(() => leases.length + errors.length === LOCKS, 120_000, 'every lock answered');
    expect(errors).toEqual([]);
    expect(await connectionsOf(admin, 'holder')).toBe(2);
    expect(await advisoryLocksOf(admin, 'holder')).toBe(LOCKS);
    expect(await other.acquire('many-4242', { wait: 0 }).catch((error: unknown) => error)).toHaveProperty(
      'code',
      'LOCK_TIMEOUT',
    );
    for (const subscription of subscriptions) subscription.unsubscribe();
    await firstValueFrom(other.lock('many-4242'));
    // Every release goes out.
    await waitUntil(async () => (await advisoryLocksOf(admin, 'holder')) === 0, 60_000, 'every lock released');
  });
});
