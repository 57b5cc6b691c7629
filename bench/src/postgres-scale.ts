/** One coordinator holding many locks: memory per held lock and the connections it uses. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Coordinator, LockLease } from '@tooz/core';
import { Client } from 'pg';
import type { Subscription } from 'rxjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export interface ScaleResult {
  readonly locks: number;
  readonly seconds: number;
  readonly bytesPerLock: number;
  readonly connections: number;
  readonly advisoryLocks: number;
}

export async function manyLocks(
  coordinator: Coordinator,
  url: string,
  applicationName: string,
  count: number,
): Promise<ScaleResult> {
  const before = heapAfterGc();
  const start = performance.now();
  const leases: LockLease[] = [];
  const subscriptions: Subscription[] = [];
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      subscriptions.push(
        coordinator.lock(`scale-${i}`).subscribe({
          next: (lease) => {
            leases.push(lease);
            if (leases.length === count) resolve();
          },
          error: reject,
        }),
      );
    }
  });
  const seconds = (performance.now() - start) / 1_000;
  const bytesPerLock = (heapAfterGc() - before) / count;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    const connections = await admin.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name IN ($1, $2)',
      [applicationName, `${applicationName}/events`],
    );
    const advisory = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
       WHERE l.locktype = 'advisory' AND a.application_name = $1`,
      [applicationName],
    );
    return {
      locks: count,
      seconds,
      bytesPerLock,
      connections: Number(connections.rows[0]?.n),
      advisoryLocks: Number(advisory.rows[0]?.n),
    };
  } finally {
    await admin.end();
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
}
