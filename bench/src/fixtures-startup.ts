// How long the real-server fixtures of @tooz/testing take to start: each
// alone, all single servers in parallel, and the clusters.
//
//   npx tsx bench/src/fixtures-startup.ts [--runs N] [--cold]
//
// --cold deletes the cached data-directory templates first (PostgreSQL and
// MariaDB then pay initdb / mariadb-install-db once, as on a fresh machine).
// Aims (2-core machine): all singles in parallel < 15 s, a ZooKeeper ensemble < 30 s.
import { existsSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  startEtcd,
  startEtcdCluster,
  startMemcached,
  startMysql,
  startPostgres,
  startRedis,
  startRedisSentinel,
  startZookeeper,
  startZookeeperEnsemble,
} from '@tooz/testing';
import { TEMPLATE_CACHE_DIR } from '@tooz/testing/internal';

type Start = () => Promise<AsyncDisposable>;

const singles: Record<string, Start> = {
  redis: () => startRedis(),
  memcached: () => startMemcached(),
  etcd: () => startEtcd(),
  zookeeper: () => startZookeeper(),
  postgres: () => startPostgres(),
  mysql: () => startMysql(),
};

const clusters: Record<string, Start> = {
  'redis sentinel (1+1+3)': () => startRedisSentinel(),
  'etcd cluster (3)': () => startEtcdCluster(3),
  'zookeeper ensemble (3)': () => startZookeeperEnsemble(3),
};

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, cold: { type: 'boolean', default: false } },
});
const runs = Math.max(1, Number(values.runs));

async function timed(start: Start): Promise<number> {
  const began = performance.now();
  const handle = await start();
  const elapsed = performance.now() - began;
  await handle[Symbol.asyncDispose]();
  return elapsed;
}

async function timedParallel(starts: Start[]): Promise<number> {
  const began = performance.now();
  const handles = await Promise.all(starts.map((s) => s()));
  const elapsed = performance.now() - began;
  await Promise.all(handles.map((h) => h[Symbol.asyncDispose]()));
  return elapsed;
}

const ms = (n: number) => `${(n / 1000).toFixed(2)} s`.padStart(9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function row(name: string, times: number[], aimMs?: number): void {
  const verdict =
    aimMs === undefined
      ? ''
      : median(times) < aimMs
        ? `  (aim < ${aimMs / 1000} s: ok)`
        : `  (aim < ${aimMs / 1000} s: MISSED)`;
  const first = times[0] ?? Number.NaN;
  console.log(
    `${name.padEnd(28)} first ${ms(first)}   median ${ms(median(times))}   max ${ms(Math.max(...times))}${verdict}`,
  );
}

if (values.cold) rmSync(TEMPLATE_CACHE_DIR, { recursive: true, force: true });
console.log(
  `fixture start-up, ${runs} run(s), ${cpus().length} CPU(s), templates ${existsSync(TEMPLATE_CACHE_DIR) ? 'cached' : 'not cached yet (first start builds them)'}`,
);
console.log('\nalone, one after the other');
for (const [name, start] of Object.entries(singles)) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(start));
  row(name, times);
}

console.log('\nall single servers in parallel');
const parallel: number[] = [];
for (let i = 0; i < runs; i++) parallel.push(await timedParallel(Object.values(singles)));
row(Object.keys(singles).join('+'), parallel, 15_000);

console.log('\nclusters');
for (const [name, start] of Object.entries(clusters)) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(start));
  row(name, times, name.startsWith('zookeeper') ? 30_000 : undefined);
}
