/**
 * @tooz/driver-redis against its baselines, all on one private redis-server
 * started here (loopback, no persistence):
 * - uncontended acquire+release per second: the SDK, a raw ioredis loop
 *   running the driver's own two scripts (the same two round trips: the
 *   physical limit), and Python tooz's redis driver (Debian's python3-tooz,
 *   run by /usr/bin/python3: SET NX PX, then its release script);
 * - contended hand-off: from the holder's release call to the waiter
 *   holding, p50/p99, through the SDK and through a raw pub/sub loop;
 * - join-to-event: from a member's join to another member's `joined` event.
 * Goals (issue 4): SDK ≥ 0.85 × raw and ≥ 3 × Python tooz; hand-off and
 * event p99 ≤ 5 ms on loopback.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Coordinator, connect, type MembershipEvent } from '@tooz/core';
import { redis } from '@tooz/driver-redis';
import { Redis } from 'ioredis';
import { filter, firstValueFrom } from 'rxjs';
import { fmt } from './measure.js';
import { type Loop, type Measured, bestOf, bounded, freePort, sleep, summary, throughput } from './loops.js';

const MS = Number(process.env.BENCH_MS ?? 3_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = 6;
const PYTHON = '/usr/bin/python3';
const TTL = 30_000;

interface Script {
  readonly sha: string;
  readonly source: string;
  readonly numKeys: number;
}

async function startServer(): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''],
    { stdio: 'ignore' },
  );
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { port, process: child };
    } catch {
      if (attempt > 100) throw new Error('redis-server did not start');
      probe.disconnect();
      await sleep(50);
    }
  }
}

/** The driver's own compiled scripts (not a public export: loaded by file URL next to its entry point). */
async function driverScripts(): Promise<{ acquire: Script; release: Script }> {
  const entry = import.meta.resolve('@tooz/driver-redis');
  const module = (await import(new URL('./scripts.js', entry).href)) as {
    loadScripts(): Promise<{ acquire: Script; release: Script }>;
  };
  return module.loadScripts();
}

/**
 * The SDK's two flavours: `lock()` (the Observable API: the first lease ends
 * the subscription, which releases; the next `lock()` of that name waits for
 * the release to be confirmed, so each cycle is the same two round trips)
 * and `acquire()` + `release()` (the Promise API).
 */
async function sdkLoop(port: number, workers: number, flavour: 'lock' | 'acquire'): Promise<Loop> {
  const coordinator = await connect(redis({ port }), { memberId: `bench-${flavour}`, ttl: TTL });
  const body =
    flavour === 'lock'
      ? async (worker: number) => {
          // No `wait: 0` here: the previous cycle's release may still hold the local slot.
          await firstValueFrom(coordinator.lock(`bench-${flavour}-${worker}`, { wait: 10_000 }));
        }
      : async (worker: number) => {
          const lease = await coordinator.acquire(`bench-${flavour}-${worker}`, { wait: 0 });
          await lease.release();
        };
  return {
    run: (ms) => throughput(workers, ms, body),
    close: () => coordinator.close(),
  };
}

async function rawLoop(port: number, workers: number, scripts: { acquire: Script; release: Script }): Promise<Loop> {
  const client = new Redis({ port, protocol: 3 });
  const member = 'bench-raw';
  const evalsha = (script: Script, ...args: (string | number)[]) =>
    client
      .evalsha(script.sha, script.numKeys, ...args)
      .catch(() => client.eval(script.source, script.numKeys, ...args));
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const key = `tooz_bench-raw-${worker}_lock`;
        const [code, token] = (await evalsha(scripts.acquire, key, `${key}:fence`, member, TTL, TTL + 300_000)) as [
          number,
          string,
        ];
        if (code !== 0) throw new Error('raw acquire refused');
        await evalsha(scripts.release, key, `${token}:${member}`);
      }),
    close: async () => client.disconnect(),
  };
}

// One coordinator, `workers` threads each looping on its own lock (redis-py's pool gives each a connection);
// the best of `rounds` rounds, as for the SDK.
const PYTHON_LOOP = `
import sys, threading, time
from tooz import coordination
url, seconds, workers, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = coordination.get_coordinator(url, b'bench-python')
c.start()
counts = [0] * workers
def loop(worker, until):
    lock = c.get_lock(b'bench-python-%d' % worker)
    n = 0
    while time.perf_counter() < until:
        if not lock.acquire(blocking=False):
            raise SystemExit('python acquire refused')
        lock.release()
        n += 1
    counts[worker] = n
def run(until):
    threads = [threading.Thread(target=loop, args=(w, until)) for w in range(workers)]
    for t in threads: t.start()
    for t in threads: t.join()
    return sum(counts)
run(time.perf_counter() + seconds / 4)
best = 0
for _ in range(rounds):
    start = time.perf_counter()
    n = run(start + seconds)
    best = max(best, n / (time.perf_counter() - start))
print(best)
c.stop()
`;

async function pythonThroughput(port: number, workers: number): Promise<number | undefined> {
  try {
    const { stdout } = await promisify(execFile)(
      PYTHON,
      ['-c', PYTHON_LOOP, `redis://127.0.0.1:${port}`, String(MS / ROUNDS / 1_000), String(workers), String(ROUNDS)],
      { timeout: 60_000 },
    );
    return Number(stdout.trim());
  } catch (error) {
    console.log(`  (Python tooz did not run: ${(error as Error).message.split('\n', 1)[0]})`);
    return undefined;
  }
}

/** Waits until `clients` connections are subscribed to `channel`: the waiter is then parked on the release notification. */
async function untilSubscribed(admin: Redis, channel: string, clients: number): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    const [, count] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
    if (Number(count) >= clients) return;
    await sleep(1);
  }
  throw new Error(`nobody subscribed to ${channel}`);
}

async function sdkHandOff(port: number, admin: Redis): Promise<number[]> {
  const a = await connect(redis({ port }), { memberId: 'handoff-a', ttl: TTL });
  const b = await connect(redis({ port }), { memberId: 'handoff-b', ttl: TTL });
  const samples: number[] = [];
  try {
    let holder = await a.acquire('handoff');
    for (let i = 0; i < SAMPLES; i++) {
      const waiter: Coordinator = i % 2 === 0 ? b : a;
      const next = waiter.acquire('handoff', { wait: 10_000 });
      await untilSubscribed(admin, 'tooz_handoff_lock', 1);
      // Its second look (after subscribing) must have come back refused too.
      await sleep(2);
      const start = performance.now();
      void holder.release();
      holder = await bounded(next, 'hand-off');
      samples.push(performance.now() - start);
    }
    await holder.release();
  } finally {
    await a.close();
    await b.close();
  }
  return samples;
}

/** The same hand-off with bare clients: release script, pub/sub message, acquire script. */
async function rawHandOff(
  port: number,
  admin: Redis,
  scripts: { acquire: Script; release: Script },
): Promise<number[]> {
  const holderClient = new Redis({ port, protocol: 3 });
  const waiterClient = new Redis({ port, protocol: 3 });
  const key = 'tooz_raw-handoff_lock';
  const acquire = (client: Redis, member: string) =>
    client.evalsha(scripts.acquire.sha, 2, key, `${key}:fence`, member, TTL, TTL) as Promise<[number, string]>;
  const samples: number[] = [];
  try {
    await waiterClient.subscribe(key);
    await untilSubscribed(admin, key, 1);
    for (let i = 0; i < SAMPLES; i++) {
      const [, token] = await acquire(holderClient, 'holder');
      const woken = new Promise<void>((resolve) => {
        const onMessage = (_channel: string, message: string) => {
          if (message !== 'R') return;
          waiterClient.off('message', onMessage);
          resolve();
        };
        waiterClient.on('message', onMessage);
      });
      const start = performance.now();
      void holderClient.evalsha(scripts.release.sha, 1, key, `${token}:holder`);
      await bounded(woken, 'release notification');
      const [code, next] = await acquire(waiterClient, 'waiter');
      samples.push(performance.now() - start);
      if (code !== 0) throw new Error('raw hand-off refused');
      await waiterClient.evalsha(scripts.release.sha, 1, key, `${next}:waiter`);
    }
  } finally {
    holderClient.disconnect();
    waiterClient.disconnect();
  }
  return samples;
}

async function joinToEvent(port: number, admin: Redis): Promise<number[]> {
  const watcher = await connect(redis({ port }), { memberId: 'watcher', ttl: TTL });
  const member = await connect(redis({ port }), { memberId: 'joiner', ttl: TTL });
  const samples: number[] = [];
  try {
    const group = watcher.group('bench-group');
    await group.create();
    const events: MembershipEvent[] = [];
    let wake: (() => void) | undefined;
    const watching = group.events$.subscribe((event) => {
      events.push(event);
      wake?.();
    });
    await untilSubscribed(admin, 'tooz_group:bench-group', 1);
    const nextEvent = (type: MembershipEvent['type']) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (events.at(-1)?.type === type) resolve();
        };
      });
    for (let i = 0; i < SAMPLES; i++) {
      const joined = nextEvent('joined');
      const start = performance.now();
      const membership = member.group('bench-group').join({ round: i }).subscribe();
      await bounded(joined, 'joined event');
      samples.push(performance.now() - start);
      const left = nextEvent('left');
      membership.unsubscribe();
      await bounded(left, 'left event');
    }
    watching.unsubscribe();
    await bounded(firstValueFrom(group.members$.pipe(filter((m) => m.size === 0))), 'empty group');
  } finally {
    await member.close();
    await watcher.close();
  }
  return samples;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

export async function main(): Promise<void> {
  const server = await startServer();
  const admin = new Redis({ port: server.port });
  try {
    const scripts = await driverScripts();
    console.log(`@tooz/driver-redis on a private redis-server (127.0.0.1:${server.port}, ${MS} ms per measurement)`);
    for (const workers of [1, CONCURRENCY]) {
      const loops = {
        raw: await rawLoop(server.port, workers, scripts),
        lock: await sdkLoop(server.port, workers, 'lock'),
        acquire: await sdkLoop(server.port, workers, 'acquire'),
      };
      const best = await bestOf({ raw: loops.raw.run, lock: loops.lock.run, acquire: loops.acquire.run }, MS, ROUNDS);
      await Promise.all(Object.values(loops).map((loop) => loop.close()));
      const python = await pythonThroughput(server.port, workers);
      const label = workers === 1 ? 'one at a time' : `${workers} locks at a time (Python: as many threads)`;
      const line = (name: string, m: Measured, note: string) =>
        console.log(
          `  ${name.padEnd(38)}: ${fmt(m.rate).padStart(7)} /s  ${m.cpu.toFixed(1).padStart(5)} µs CPU each  ${note}`,
        );
      console.log(`uncontended acquire+release, ${label}`);
      line("raw ioredis, the driver's two scripts", best.raw, '');
      line('SDK, coordinator.lock()', best.lock, `${(best.lock.rate / best.raw.rate).toFixed(2)} of raw (goal ≥ 0.85)`);
      line(
        'SDK, coordinator.acquire() + release()',
        best.acquire,
        `${(best.acquire.rate / best.raw.rate).toFixed(2)} of raw`,
      );
      if (python !== undefined) {
        console.log(
          `  ${'Python tooz 3.1.0 redis driver'.padEnd(38)}: ${fmt(python).padStart(7)} /s  SDK lock() = ${(best.lock.rate / python).toFixed(2)} × Python (goal ≥ 3)`,
        );
      }
    }

    const handOff = summary(await sdkHandOff(server.port, admin));
    const rawHand = summary(await rawHandOff(server.port, admin, scripts));
    console.log(`contended hand-off, release call to next holder (${SAMPLES} samples)`);
    console.log(`  raw (release, pub/sub, acquire)       : p50 ${ms(rawHand.p50)}  p99 ${ms(rawHand.p99)}`);
    console.log(
      `  SDK                                   : p50 ${ms(handOff.p50)}  p99 ${ms(handOff.p99)}  (goal p99 ≤ 5 ms)`,
    );

    const events = summary(await joinToEvent(server.port, admin));
    console.log(`join to joined event at another member (${SAMPLES} samples)`);
    console.log(
      `  SDK                                   : p50 ${ms(events.p50)}  p99 ${ms(events.p99)}  (goal p99 ≤ 5 ms)`,
    );
  } finally {
    admin.disconnect();
    server.process.kill('SIGTERM');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
