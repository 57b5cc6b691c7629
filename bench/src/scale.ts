/**
 * Scale (issue 21): one coordinator holding 10,000 locks on every driver that
 * can (redis, postgres, etcd, zookeeper, file, memcached, mysql): time to
 * take them all, heap per lock, the timers and handles they add, and the
 * CPU per second spent keeping them alive over a window of BENCH_KEEP_MS
 * (default 3,000 ms: four refresh intervals at the short TTL used here,
 * 3 s). Baselines from the same run: a coordinator holding nothing over the
 * same window (its CPU is taken off the per-lock figures), the same figures
 * at a tenth of the locks (per-lock figures should not grow with the
 * count), and on redis, where every lock is refreshed on its own, a bare
 * ioredis client keeping as many keys alive with the driver's scripts.
 *
 * BENCH_LOCKS (default 10,000), BENCH_DRIVERS (a comma-separated subset),
 * BENCH_TTL (default 3,000 ms), BENCH_SCALE_WINDOW (acquires in flight while
 * taking them, default 256; 0 takes them all at once). Bounded: every
 * acquire-all and close has a deadline that fails the run.
 */
import { pathToFileURL } from 'node:url';
import { type Backend, chosenDrivers, DRIVERS, type DriverName, startBackend } from './backends.js';
import { type Load, loadLine, underLoad } from './load.js';
import { fmt } from './measure.js';
import { fileLockCount } from './scale-fd-limit.js';
import { type HoldFigures, holdMany } from './scale-hold.js';
import { type RawHoldFigures, rawRedisHold } from './scale-redis-raw.js';

const LOCKS = Number(process.env.BENCH_LOCKS ?? 10_000);
const KEEP_MS = Number(process.env.BENCH_KEEP_MS ?? 3_000);
const TTL = Number(process.env.BENCH_TTL ?? 3_000);
/** Acquires in flight while taking them (0: all at once; see holdMany). */
const WINDOW = Number(process.env.BENCH_SCALE_WINDOW ?? 256);

interface DriverFigures {
  readonly idle: HoldFigures;
  readonly small: HoldFigures;
  readonly large: HoldFigures;
  readonly raw?: RawHoldFigures;
  readonly note?: string;
}

async function measure(backend: Backend): Promise<DriverFigures> {
  const connect = () => backend.connect(`scale-${backend.driver}`, { ttl: TTL });
  const { count, note } = backend.driver === 'file' ? fileLockCount(LOCKS) : { count: LOCKS };
  const smallCount = Math.max(1, Math.round(count / 10));
  // Discarded: warms the JIT up, and lets a fresh server's first-seconds quirks pass (memcached's token epoch).
  await holdMany(connect, smallCount, Math.min(KEEP_MS, 1_000), WINDOW);
  const idle = await holdMany(connect, 0, KEEP_MS, WINDOW);
  const small = await holdMany(connect, smallCount, KEEP_MS, WINDOW);
  const large = await holdMany(connect, count, KEEP_MS, WINDOW);
  const raw = backend.driver === 'redis' ? await rawRedisHold(backend, count, TTL, KEEP_MS) : undefined;
  return { idle, small, large, ...(raw ? { raw } : {}), ...(note ? { note } : {}) };
}

const bytes = (value: number | undefined) => (value === undefined ? 'n/a' : `${fmt(value)} B`);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}×`;
const msPerSecond = (micros: number) => `${(micros / 1_000).toFixed(1)} ms`;

/** CPU per second per lock above an idle coordinator's, µs. */
const keepAlivePerLock = (f: HoldFigures, idle: HoldFigures) => (f.cpuPerSecond - idle.cpuPerSecond) / f.count;

function row(f: HoldFigures, idle: HoldFigures): string {
  return (
    `  ${fmt(f.count).padStart(6)} locks: all held in ${f.acquireSeconds.toFixed(2)} s ` +
    `(${fmt(f.count / f.acquireSeconds)}/s), ${bytes(f.bytesPerLock)} heap each, ` +
    `keep-alive ${msPerSecond(f.cpuPerSecond)} CPU/s (${keepAlivePerLock(f, idle).toFixed(2)} µs/s per lock above idle), ` +
    `${fmt(f.stillHeld)} still held, closed in ${f.releaseSeconds.toFixed(2)} s; added: ${f.resources}`
  );
}

function report(driver: DriverName, figures: DriverFigures, load: Load): void {
  const { idle, small, large, raw, note } = figures;
  console.log(`${driver} (TTL ${TTL} ms, keep-alive window ${KEEP_MS} ms; ${loadLine(load)})`);
  if (note) console.log(`  at ${fmt(large.count)} locks: ${note}`);
  console.log(`  idle coordinator, no locks: ${msPerSecond(idle.cpuPerSecond)} CPU/s`);
  console.log(row(small, idle));
  console.log(row(large, idle));
  console.log(
    `  per lock, ${fmt(large.count)} vs ${fmt(small.count)} (1.00× = linear): ` +
      `acquire ${ratio(large.acquireSeconds / large.count, small.acquireSeconds / small.count)}, ` +
      `heap ${ratio(large.bytesPerLock, small.bytesPerLock)}, ` +
      `keep-alive CPU ${ratio(keepAlivePerLock(large, idle), keepAlivePerLock(small, idle))}`,
  );
  if (raw) {
    console.log(
      `  raw ioredis, ${fmt(large.count)} keys, same scripts and refresh interval: all held in ${raw.acquireSeconds.toFixed(2)} s, ` +
        `${bytes(raw.bytesPerLock)} heap each, keep-alive ${msPerSecond(raw.cpuPerSecond)} CPU/s` +
        `${raw.lostRefreshes > 0 ? ` (${raw.lostRefreshes} refreshes too late)` : ''}`,
    );
    console.log(
      `  SDK/raw at ${fmt(large.count)}: acquire time ${ratio(large.acquireSeconds, raw.acquireSeconds)}, ` +
        `heap ${ratio(large.bytesPerLock, raw.bytesPerLock)}, keep-alive CPU ${ratio(large.cpuPerSecond, raw.cpuPerSecond)}`,
    );
  }
  if (large.stillHeld < large.count) console.log(`  LOST ${fmt(large.count - large.stillHeld)} locks while holding`);
}

export async function main(): Promise<void> {
  const failures: string[] = [];
  const window = WINDOW > 0 ? `${WINDOW} acquires in flight at a time` : 'all acquires at once';
  console.log(`one coordinator holding ${fmt(LOCKS)} locks, per driver (${window})`);
  for (const driver of chosenDrivers(DRIVERS)) {
    const backend = await startBackend(driver);
    try {
      const { result, load } = await underLoad(() => measure(backend));
      report(driver, result, load);
    } catch (error) {
      // One driver's failure is reported and the others still run; the run fails at the end.
      failures.push(driver);
      console.log(`${driver}: FAILED: ${(error as Error).message}`);
    } finally {
      await backend[Symbol.asyncDispose]();
    }
  }
  if (failures.length > 0) throw new Error(`scale bench failed on ${failures.join(', ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
