/**
 * @tooz/driver-memcached against its baselines, all on one private memcached
 * started here (loopback):
 * - uncontended acquire+release per second, one at a time and 16 locks in
 *   flight from one process: the SDK, a raw loop sending the driver's own
 *   two requests on one pipelined connection (`ms ... ME` to add, `md ...
 *   C<cas>` to delete: the physical limit), and Python tooz's memcached
 *   driver (Debian's python3-tooz on pymemcache, /usr/bin/python3: add, then
 *   get + delete);
 * - contended hand-off: from the holder's release call to the waiter
 *   holding, p50/p99. memcached pushes nothing: the waiter polls every
 *   `pollInterval` (100 ms), so the release falls at a random point of its
 *   poll cycle here.
 * Goals (issue 16): SDK ≥ 0.85 × raw one at a time and 16 at a time,
 * ≥ 3 × Python tooz with 16 in flight, hand-off p99 ≤ poll interval + 5 ms.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Coordinator, connect, type Driver } from '@tooz/core';
import { memcached } from '@tooz/driver-memcached';
import { fmt } from './measure.js';
import { type Loop, type Measured, bestOf, bounded, freePort, sleep, summary, throughput } from './loops.js';

const MS = Number(process.env.BENCH_MS ?? 3_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = 6;
const PYTHON = '/usr/bin/python3';
const TTL = 30_000;
const POLL_INTERVAL = 100;

async function memcachedDriver(port: number): Promise<Driver> {
  return memcached({ port });
}

/** A bare meta-protocol client: one socket, requests pipelined, each reply one line (`HD c12`, `NS`, `NF`...). */
class RawClient {
  private readonly waiting: ((line: string) => void)[] = [];
  private buffer = '';

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\r\n'); end !== -1; end = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.waiting.shift()?.(line);
      }
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  send(request: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function startServer(): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64', '-t', '4'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn('memcached', args, { stdio: 'ignore' });
  for (let attempt = 0; ; attempt++) {
    try {
      const probe = await RawClient.open(port);
      const reply = await probe.send('mn\r\n');
      probe.close();
      if (reply === 'MN') break;
    } catch {
      if (attempt > 100) throw new Error('memcached did not start');
      await sleep(50);
    }
  }
  // A memcached process grants no fencing token in its first second or two (the driver waits): let it pass.
  await sleep(2_500);
  return { port, process: child };
}

async function sdkLoop(port: number, workers: number): Promise<Loop> {
  const coordinator = await connect(await memcachedDriver(port), { memberId: 'bench-sdk', ttl: TTL });
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const lease = await coordinator.acquire(`bench-sdk-${worker}`, { wait: 0 });
        await lease.release();
      }),
    close: () => coordinator.close(),
  };
}

/** The driver's two requests, as it writes them: an add with the TTL and flags 1, then a delete on the add's CAS. */
async function rawLoop(port: number, workers: number): Promise<Loop> {
  const client = await RawClient.open(port);
  const ttl = Math.ceil(TTL / 1_000) + 1;
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const key = `__TOOZ_LOCK_bench-raw-${worker}`;
        const value = `bench-raw\0${randomBytes(8).toString('hex')}`;
        const added = await client.send(`ms ${key} ${value.length} T${ttl} F1 ME c\r\n${value}\r\n`);
        const cas = /^HD c(\d+)/.exec(added)?.[1];
        if (cas === undefined) throw new Error(`raw acquire refused: ${added}`);
        const deleted = await client.send(`md ${key} C${cas}\r\n`);
        if (deleted !== 'HD') throw new Error(`raw release refused: ${deleted}`);
      }),
    close: async () => client.close(),
  };
}

// One coordinator, `workers` threads each looping on its own lock (pymemcache's pool gives each a connection);
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
      [
        '-c',
        PYTHON_LOOP,
        `memcached://127.0.0.1:${port}?max_pool_size=${Math.max(workers, 1)}`,
        String(MS / ROUNDS / 1_000),
        String(workers),
        String(ROUNDS),
      ],
      { timeout: 60_000 },
    );
    return Number(stdout.trim());
  } catch (error) {
    console.log(`  (Python tooz did not run: ${(error as Error).message.split('\n', 1)[0]})`);
    return undefined;
  }
}

/**
 * Release call to the waiter holding. The waiter has been refused at least
 * once (it is polling); the release comes at a random point of its poll
 * cycle, so the samples spread over one interval as they do in use.
 */
async function sdkHandOff(port: number): Promise<number[]> {
  const driver = await memcachedDriver(port);
  const options = { ttl: TTL, pollInterval: POLL_INTERVAL };
  const a = await connect(driver, { ...options, memberId: 'handoff-a' });
  const b = await connect(driver, { ...options, memberId: 'handoff-b' });
  const samples: number[] = [];
  try {
    let holder = await a.acquire('handoff');
    for (let i = 0; i < SAMPLES; i++) {
      const waiter: Coordinator = i % 2 === 0 ? b : a;
      const next = waiter.acquire('handoff', { wait: 10_000 });
      await sleep(POLL_INTERVAL * (1 + Math.random()));
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

const ms = (value: number) => `${value.toFixed(2)} ms`;

export async function main(): Promise<void> {
  const server = await startServer();
  try {
    console.log(`@tooz/driver-memcached on a private memcached (127.0.0.1:${server.port}, ${MS} ms per measurement)`);
    for (const workers of [1, CONCURRENCY]) {
      const loops = { raw: await rawLoop(server.port, workers), sdk: await sdkLoop(server.port, workers) };
      const best = await bestOf({ raw: loops.raw.run, sdk: loops.sdk.run }, MS, ROUNDS);
      await Promise.all(Object.values(loops).map((loop) => loop.close()));
      const python = await pythonThroughput(server.port, workers);
      const label = workers === 1 ? 'one at a time' : `${workers} locks at a time (Python: as many threads)`;
      const line = (name: string, m: Measured, note: string) =>
        console.log(
          `  ${name.padEnd(40)}: ${fmt(m.rate).padStart(7)} /s  ${m.cpu.toFixed(1).padStart(5)} µs CPU each  ${note}`,
        );
      console.log(`uncontended acquire+release, ${label}`);
      line("raw meta loop, the driver's two requests", best.raw, '');
      line(
        'SDK, coordinator.acquire() + release()',
        best.sdk,
        `${(best.sdk.rate / best.raw.rate).toFixed(2)} of raw (goal ≥ 0.85)`,
      );
      if (python !== undefined) {
        const goal = workers === 1 ? '' : ' (goal ≥ 3)';
        console.log(
          `  ${'Python tooz 3.1.0 memcached driver'.padEnd(40)}: ${fmt(python).padStart(7)} /s  SDK = ${(best.sdk.rate / python).toFixed(2)} × Python${goal}`,
        );
      }
    }

    const handOff = summary(await sdkHandOff(server.port));
    console.log(
      `contended hand-off, release call to next holder (${SAMPLES} samples, poll interval ${POLL_INTERVAL} ms)`,
    );
    console.log(
      `  SDK                                     : p50 ${ms(handOff.p50)}  p99 ${ms(handOff.p99)}  (goal p99 ≤ ${POLL_INTERVAL + 5} ms)`,
    );
  } finally {
    server.process.kill('SIGTERM');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
