/**
 * Many locks in flight from one process (issue 21): 16, 64 and 256 workers, each
 * looping acquire→release on its own lock name, on redis, postgres, etcd and
 * the file driver. The SDK, as the README shows it (`withLock`, which
 * completes once the release is confirmed) and through the Promise API
 * (`acquire()` + `release()`), against a raw client making the same backend
 * operations, in alternating rounds of one run (loops.ts `bestOf`), each
 * contender in two processes of its own (isolated.ts: in one process the raw
 * loop's warm-up of the client library cost the SDK a third more CPU).
 * Prints the rate, the contender's CPU per cycle, SDK/raw ratios and the
 * load average while it ran.
 *
 * BENCH_MS: time per contender and concurrency (default 3,000 ms);
 * BENCH_DRIVERS: a comma-separated subset. Every round is bounded: a lost
 * wake-up fails the run instead of hanging it.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Coordinator, withLock } from '@tooz/core';
import { EMPTY, lastValueFrom } from 'rxjs';
import { type Backend, chosenDrivers, type DriverName, startBackend } from './backends.js';
import { rawEtcd } from './inflight-etcd.js';
import { rawFile } from './inflight-file.js';
import { rawPostgres } from './inflight-postgres.js';
import { rawRedis } from './inflight-redis.js';
import { type Load, loadLine, underLoad } from './load.js';
import { bestOf, bounded, type Loop, type Measured, throughput } from './loops.js';
import { isolatedLoops, isolatedSpec, serveIsolated } from './isolated.js';
import { fmt } from './measure.js';

const MS = Number(process.env.BENCH_MS ?? 3_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const IN_FLIGHT = [16, 64, 256];
/** How long one cycle may wait for its lock: a cycle never contends, so only a lost wake-up waits this long. */
const WAIT = 10_000;

type Contender = 'raw' | 'withLock' | 'acquire';

const RAW: Record<InFlightDriver, (backend: Backend, workers: number) => Promise<Loop>> = {
  redis: rawRedis,
  postgres: rawPostgres,
  etcd: rawEtcd,
  file: rawFile,
};
type InFlightDriver = Extract<DriverName, 'redis' | 'postgres' | 'etcd' | 'file'>;

/** Issue 21's goals: the file driver's raw loop is bare system calls with no round trip to hide behind. */
const GOAL: Record<InFlightDriver, number> = { redis: 0.85, postgres: 0.85, etcd: 0.85, file: 0.7 };

function sdkLoop(coordinator: Coordinator, workers: number, flavour: Exclude<Contender, 'raw'>): Loop {
  const names = Array.from({ length: workers }, (_, worker) => `${flavour}-${worker}`);
  const body =
    flavour === 'withLock'
      ? (worker: number) =>
          lastValueFrom(
            withLock(coordinator, names[worker] as string, () => EMPTY, { wait: WAIT }),
            {
              defaultValue: undefined,
            },
          )
      : async (worker: number) => {
          const lease = await coordinator.acquire(names[worker] as string, { wait: WAIT });
          await lease.release();
        };
  return { run: (ms) => throughput(workers, ms, body), close: async () => undefined };
}

/** A round may take its time plus the slowest cycle's bounded wait; past that it is stuck. */
const boundedRun = (loop: Loop, what: string) => (ms: number) => bounded(loop.run(ms), what, ms + WAIT + 5_000);

async function measure(
  driver: InFlightDriver,
  backend: Backend,
  workers: number,
): Promise<{ best: Record<Contender, Measured>; load: Load }> {
  // Connected first and kept to the end: the raw loops use the tables and keys the driver sets up.
  await backend.connect(`inflight-${workers}-setup`, { ttl: 30_000 });
  const address = { driver, url: backend.url, host: backend.host, port: backend.port };
  const isolated = (contender: Contender) => isolatedLoops(SCRIPT, { contender, workers, backend: address });
  const loops: Record<Contender, Loop> = {
    raw: await isolated('raw'),
    withLock: await isolated('withLock'),
    acquire: await isolated('acquire'),
  };
  try {
    const { result, load } = await underLoad(() =>
      bestOf(
        {
          raw: boundedRun(loops.raw, `${backend.driver} raw, ${workers} in flight`),
          withLock: boundedRun(loops.withLock, `${backend.driver} withLock, ${workers} in flight`),
          acquire: boundedRun(loops.acquire, `${backend.driver} acquire, ${workers} in flight`),
        },
        MS,
        ROUNDS,
      ),
    );
    return { best: result, load };
  } finally {
    await Promise.allSettled(Object.values(loops).map((loop) => loop.close()));
  }
}

function report(driver: InFlightDriver, workers: number, best: Record<Contender, Measured>, load: Load): void {
  const raw = best.raw;
  const line = (label: string, m: Measured, versus: string) =>
    console.log(
      `  ${label.padEnd(30)}: ${fmt(m.rate).padStart(7)} /s  ${m.cpu.toFixed(1).padStart(6)} µs CPU each  ${versus}`,
    );
  const versus = (m: Measured) =>
    `rate ${(m.rate / raw.rate).toFixed(2)} of raw, CPU ${(m.cpu / raw.cpu).toFixed(2)}× raw's`;
  console.log(
    `${driver}, ${workers} locks in flight (best of ${ROUNDS} alternating rounds, each contender in 2 processes; ${loadLine(load)})`,
  );
  line(`raw client, same operations`, raw, '');
  line('SDK, withLock()', best.withLock, `${versus(best.withLock)} (goal ≥ ${GOAL[driver]})`);
  line('SDK, acquire() + release()', best.acquire, versus(best.acquire));
}

export async function main(): Promise<void> {
  const drivers = chosenDrivers(Object.keys(RAW) as InFlightDriver[]);
  console.log(`locks in flight from one process, SDK vs raw client (${MS} ms per contender and concurrency)`);
  for (const driver of drivers) {
    const backend = await startBackend(driver);
    try {
      for (const workers of IN_FLIGHT) {
        const { best, load } = await measure(driver, backend, workers);
        report(driver, workers, best, load);
      }
    } finally {
      await backend[Symbol.asyncDispose]();
    }
  }
}

const SCRIPT = fileURLToPath(import.meta.url);

/** The child's side of `isolated`: one contender's loop, built on the parent's backend. */
async function contenderLoop(contender: Contender, backend: Backend, workers: number): Promise<Loop> {
  const driver = backend.driver as InFlightDriver;
  if (contender === 'raw') return RAW[driver](backend, workers);
  return sdkLoop(await backend.connect(`inflight-${workers}`, { ttl: 30_000 }), workers, contender);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const spec = isolatedSpec();
  if (spec) await serveIsolated(spec, (backend) => contenderLoop(spec.contender as Contender, backend, spec.workers));
  else await main();
}
