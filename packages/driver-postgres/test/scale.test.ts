import { connect, type LockLease } from '@tooz/core';
import { type Subscription, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { adminClient, connectionsOf } from './support/admin.js';
import { startPostgres } from './support/servers.js';

const LOCKS = 10_000;

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
    const deadline = Date.now() + 120_000;
    while (leases.length + errors.length < LOCKS && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(errors).toEqual([]);
    expect(leases).toHaveLength(LOCKS);
    expect(await connectionsOf(admin, 'holder')).toBe(2);
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
       WHERE l.locktype = 'advisory' AND a.application_name = 'holder'`,
    );
    expect(Number(rows[0]?.n)).toBe(LOCKS);
    expect(await other.acquire('many-4242', { wait: 0 }).catch((error: unknown) => error)).toHaveProperty(
      'code',
      'LOCK_TIMEOUT',
    );
    for (const subscription of subscriptions) subscription.unsubscribe();
    await new Promise<void>((resolve) =>
      other
        .lock('many-4242')
        .pipe(take(1))
        .subscribe(() => resolve()),
    );
    // Every release goes out; the bound is a hang guard.
    const held = async () => {
      const after = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.locktype = 'advisory' AND a.application_name = 'holder'`,
      );
      return Number(after.rows[0]?.n);
    };
    const releasedBy = Date.now() + 60_000;
    while ((await held()) > 0 && Date.now() < releasedBy) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await held()).toBe(0);
  });
});
