/**
 * The quick-start demo: four workers on one coordination backend join a
 * group, elect a leader, split jobs with the hash ring and take locks with
 * fencing tokens; then the leader goes away and another takes over.
 *
 * It runs on the embedded memory:// backend, so no server is needed.
 */
import { type Coordinator, connect, registerDriver, withLock } from '@tooz/core';
import * as testing from '@tooz/testing';
import { delay, filter, firstValueFrom, lastValueFrom, of, type Subscription, timeout } from 'rxjs';

registerDriver('memory', testing);

const URL = 'memory://demo?ttl=2s';
const GROUP = 'workers';
const JOBS = Array.from({ length: 12 }, (_, i) => `job-${String(i + 1).padStart(2, '0')}`);

let quiet = false;
const log = (who: string, message: string) => {
  if (!quiet) console.log(`${who.padEnd(9)} │ ${message}`);
};

interface Worker {
  readonly coordinator: Coordinator;
  readonly subscriptions: Subscription[];
}

async function startWorker(id: string, weight: number): Promise<Worker> {
  const coordinator = await connect(URL, { memberId: id });
  const group = coordinator.group(GROUP);
  const subscriptions = [
    group.join({ weight }).subscribe({
      // close() completes memberships: an error is always news.
      error: (error: unknown) => log(id, `membership error: ${String(error)}`),
    }),
    coordinator.leadership(GROUP).subscribe((leading) => {
      if (leading) log(id, '★ elected leader');
    }),
  ];
  return { coordinator, subscriptions };
}

async function showPartitions(coordinator: Coordinator, members: number) {
  const partitioner = await firstValueFrom(
    coordinator
      .group(GROUP)
      .partitioner()
      .pipe(
        filter((p) => p.members.size === members),
        timeout(5_000),
      ),
  );
  const owners = new Map<string, string[]>();
  for (const job of JOBS) {
    const [owner = '?'] = partitioner.membersFor(job);
    owners.set(owner, [...(owners.get(owner) ?? []), job]);
  }
  for (const [owner, jobs] of [...owners].sort()) {
    log(owner, `owns ${jobs.length} job(s) (weight ${partitioner.members.get(owner)}): ${jobs.join(' ')}`);
  }
}

async function chargeInvoice(workers: Worker[]) {
  // Every worker wants the same lock at once: they take turns, and each turn
  // carries a larger fencing token that the "payment service" can check.
  let lastToken = 0n;
  await Promise.all(
    workers.map(({ coordinator }) =>
      lastValueFrom(
        withLock(coordinator, 'invoice-42', (lease) => {
          const stale = lease.fencingToken <= lastToken;
          lastToken = lease.fencingToken;
          log(coordinator.memberId, `holds invoice-42, fencing token ${lease.fencingToken}${stale ? ' (STALE!)' : ''}`);
          return of(lease.fencingToken).pipe(delay(50));
        }),
      ),
    ),
  );
}

async function main() {
  const started = performance.now();
  console.log('tooz demo: four workers on memory:// (no server needed)\n');

  const ids = ['worker-1', 'worker-2', 'worker-3', 'worker-4'];
  const first = await connect(URL, { memberId: 'admin' });
  await first.group(GROUP).create();
  log('admin', `created group "${GROUP}"`);

  const workers: Worker[] = [];
  for (const [i, id] of ids.entries()) {
    workers.push(await startWorker(id, i === 0 ? 2 : 1));
    log(id, `joined "${GROUP}"${i === 0 ? ' with weight 2' : ''}`);
  }

  const observer = first.leadership(GROUP);
  const leader = await firstValueFrom(
    observer.leader$.pipe(
      filter((id): id is string => id !== null),
      timeout(5_000),
    ),
  );
  const members = await first.group(GROUP).members();
  log('admin', `members: ${[...members.keys()].sort().join(', ')}; leader: ${leader}`);

  console.log('\n— partitioning 12 jobs with the tooz-compatible hash ring —');
  await showPartitions(first, ids.length);

  console.log('\n— four workers contend for one lock —');
  await chargeInvoice(workers);

  console.log(`\n— the leader (${leader}) goes away —`);
  const gone = workers.find((w) => w.coordinator.memberId === leader);
  const left = firstValueFrom(
    first.group(GROUP).events$.pipe(
      filter((e) => e.type === 'left'),
      timeout(5_000),
    ),
  );
  const successor = firstValueFrom(
    observer.leader$.pipe(
      filter((id): id is string => id !== null && id !== leader),
      timeout(5_000),
    ),
  );
  await gone?.coordinator.close();
  log('admin', `saw ${(await left).memberId} leave the group`);
  log('admin', `new leader: ${await successor}`);

  console.log('\n— partitions after the failover —');
  await showPartitions(first, ids.length - 1);

  quiet = true;
  for (const worker of workers) {
    for (const subscription of worker.subscriptions) subscription.unsubscribe();
    await worker.coordinator.close();
  }
  await first.close();
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
