// The scratch project of scripts/pack-check.sh: the README examples of
// @tooz/core (with the memory driver of @tooz/testing and the file driver),
// type-checked against the packed packages and run against memory:// and
// file:// in a temporary directory. Usage: node dist/app.js <directory>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Coordinator,
  connect,
  HashRing,
  type LockLease,
  LockTimeoutError,
  registerDriver,
  whileLeader,
  withLock,
} from '@tooz/core';
import { file } from '@tooz/driver-file';
import * as memoryDriver from '@tooz/testing/memory';
import { filter, firstValueFrom, map, NEVER, type Observable, of, take, timeout } from 'rxjs';

const charged: bigint[] = [];
const charge$ = (token: bigint): Observable<string> => {
  charged.push(token);
  return of('charged');
};

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`pack-check app: ${what}`);
}

/** The core README's and the design's examples, on one coordinator per member. */
async function examples(label: string, open: (memberId: string) => Promise<Coordinator>): Promise<void> {
  const coordinator = await open('api-7');
  const other = await open('api-8');
  try {
    // Group membership
    const workers = coordinator.group('workers');
    await workers.create();
    const membership = workers.join({ weight: 2 }).subscribe();
    const members = await firstValueFrom(
      workers.members$.pipe(
        filter((m) => m.has('api-7')),
        timeout(5_000),
      ),
    );
    const weight = (capabilities: unknown) => (capabilities as { weight?: number } | undefined)?.weight;
    check(weight(members.get('api-7')) === 2, `${label}: member capabilities`);
    await workers.updateCapabilities({ weight: 3 });
    check(weight((await workers.members()).get('api-7')) === 3, `${label}: updated capabilities`);
    const mine = await firstValueFrom(workers.partitioner().pipe(map((p) => p.belongsToSelf('object-id'))));
    check(mine, `${label}: the only member owns every object`);

    // Leader election
    const leadership = coordinator.leadership('scheduler');
    let ran = 0;
    const work = () => {
      ran += 1;
      return NEVER;
    };
    const leading = leadership.pipe(whileLeader(work)).subscribe();
    await firstValueFrom(leadership.pipe(filter(Boolean), timeout(5_000)));
    check(leadership.value && ran === 1, `${label}: leads and runs the work`);
    check(
      (await firstValueFrom(
        other.leadership('scheduler').leader$.pipe(
          filter((id) => id !== null),
          timeout(5_000),
        ),
      )) === 'api-7',
      `${label}: leader$ seen by another member`,
    );

    // Locks: the reactive flavour, then the promise flavour
    const result = await firstValueFrom(
      withLock(coordinator, 'invoice-42', (lease: LockLease) => charge$(lease.fencingToken)).pipe(timeout(5_000)),
    );
    check(result === 'charged', `${label}: withLock ran the work`);
    {
      await using lease = await coordinator.acquire('invoice-42', { wait: 5_000 });
      check(lease.fencingToken > charged[charged.length - 1]!, `${label}: fencing tokens increase`);
      check(!lease.signal.aborted, `${label}: a held lease's signal`);
      const refused = await other.acquire('invoice-42', { wait: 0 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      check(refused instanceof LockTimeoutError, `${label}: a held lock refuses another member (${String(refused)})`);
    }
    const held = await firstValueFrom(other.lock('invoice-42', { wait: 5_000 }).pipe(take(1)));
    check(held.fencingToken > 0n, `${label}: released at the end of the await using scope`);

    leading.unsubscribe();
    membership.unsubscribe();
    console.log(`pack-check app: ${label}: ok (${coordinator.driver.name})`);
  } finally {
    await other.close();
    await coordinator.close();
  }
}

const ring = new HashRing(['a', 'b'], { partitions: 32, hash: 'md5' });
ring.addNode('c', 2);
ring.removeNode('a');
check(ring.getNodes('object-id', { replicas: 2 }).size === 2, 'HashRing');

registerDriver('memory', memoryDriver);
await examples('memory://', (memberId) => connect('memory://pack-check', { memberId }));

const directory = mkdtempSync(join(tmpdir(), 'tooz-pack-check-'));
try {
  await examples('file://', (memberId) => connect(`file://${directory}`, { memberId }));
  const coordinator = await connect(file({ directory }), { memberId: 'worker-1' });
  check(coordinator.driver.name === 'file', 'connect(file({ directory }))');
  await coordinator.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
