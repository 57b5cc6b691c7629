/**
 * @tooz/driver-consul against its baselines, on @tooz/testing's
 * Consul-API-compatible server (NOT a real Consul: none can be installed on
 * these machines; it answers the same HTTP API from one Node process, with
 * no Raft, so every write is one in-memory step). The server runs in a
 * child process of its own (this file with `--serve`), so that it does not
 * share the event loop of the clients measured.
 * - uncontended acquire+release per second, one at a time and 16 locks in
 *   flight from one process: the SDK; a raw HTTP loop on a keep-alive agent
 *   sending the three requests that decide the lock (`PUT ?acquire=`, the
 *   read-back `GET`, `PUT ?release=`); the same loop also sending what the
 *   SDK sends to watch the hold (a `GET` of the key, then blocking `GET`s
 *   with its index, the last one aborted at the release): the SDK's exact
 *   requests; and Python tooz 3.1.0's consul driver (Debian's python3-tooz
 *   on python3-consul2, /usr/bin/python3: `GET` + `PUT ?acquire=`, then
 *   `GET` + `PUT ?release=`);
 * - contended hand-off: from the holder's release call to the waiter
 *   holding, p50/p99. The waiter is woken by its blocking query on the key.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Coordinator, connect, type Driver } from '@tooz/core';
import { consul } from '@tooz/driver-consul';
import { startConsul } from '@tooz/testing';
import { fmt } from './measure.js';
import { type Loop, type Measured, bestOf, bounded, sleep, summary, throughput } from './loops.js';

const MS = Number(process.env.BENCH_MS ?? 3_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = 6;
const PYTHON = '/usr/bin/python3';
const TTL = 30_000;

/** The compatible server in a child process: this file run with `--serve` prints its port. */
async function startServer(): Promise<{ port: number; process: ChildProcess }> {
  // This process's loader flags (tsx under development), never an `-e` script: the child must run this file.
  const flags = process.execArgv.filter(
    (arg, i, all) =>
      !/^(-e|--eval|-p|--print|--input-type.*)$/.test(arg) && !/^(-e|--eval|-p|--print)$/.test(all[i - 1] ?? ''),
  );
  const child = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await bounded(
    new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const line = /^(\d+)\n/.exec(out);
        if (line) resolve(Number(line[1]));
      });
      child.once('exit', (code) => reject(new Error(`the compatible Consul exited (${code})`)));
    }),
    'the compatible Consul starting',
  );
  return { port, process: child };
}

async function serve(): Promise<void> {
  const server = await startConsul();
  process.stdout.write(`${server.port}\n`);
  process.stdin.on('end', () => void server.close().then(() => process.exit(0))).resume();
}

const driverFor = (port: number): Driver => consul({ hosts: [`127.0.0.1:${port}`] });

async function sdkLoop(port: number, workers: number): Promise<Loop> {
  const coordinator = await connect(driverFor(port), { memberId: 'bench-sdk', ttl: TTL });
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const lease = await coordinator.acquire(`bench-sdk-${worker}`, { wait: 0 });
        await lease.release();
      }),
    close: () => coordinator.close(),
  };
}

/** Consul's HTTP API on a keep-alive agent, as the driver calls it. */
class RawHttp {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

  constructor(private readonly port: number) {}

  send(method: string, path: string, body?: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          signal,
          headers: body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('error', reject);
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: `${response.headers['x-consul-index'] ?? ''} ${text}` }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The driver's requests for one acquire+release, with a session made once:
 * acquire, read back (for the ModifyIndex, the token), release; `watch`
 * adds the hold's watch as the driver runs it (a read, then blocking reads
 * at the last index, the one in flight aborted at the release).
 */
async function rawLoop(port: number, workers: number, watch: boolean): Promise<Loop> {
  const http = new RawHttp(port);
  const created = await http.send(
    'PUT',
    '/v1/session/create',
    JSON.stringify({ Name: 'bench-raw', TTL: `${TTL / 1_000}s`, Behavior: 'release', LockDelay: '0s' }),
  );
  const session = (JSON.parse(created.text.slice(created.text.indexOf(' ') + 1)) as { ID: string }).ID;
  const watchKey = (path: string, signal: AbortSignal) =>
    void (async () => {
      let index = 0;
      while (!signal.aborted) {
        const query = index > 0 ? `?index=${index}&wait=60s` : '';
        const reply = await http.send('GET', `${path}${query}`, undefined, signal).catch(() => undefined);
        if (!reply) return;
        index = Number(reply.text.slice(0, reply.text.indexOf(' '))) || 1;
      }
    })();
  return {
    run: (ms) =>
      throughput(workers, ms, async (worker) => {
        const path = `/v1/kv/tooz/locks/bench-raw-${worker}`;
        const controller = new AbortController();
        if (watch) watchKey(path, controller.signal);
        const acquired = await http.send('PUT', `${path}?acquire=${session}`, 'bench-raw');
        if (!acquired.text.endsWith('true')) throw new Error(`raw acquire refused: ${acquired.text}`);
        await http.send('GET', path);
        controller.abort();
        const released = await http.send('PUT', `${path}?release=${session}`, '');
        if (!released.text.endsWith('true')) throw new Error(`raw release refused: ${released.text}`);
      }),
    close: async () => {
      await http.send('PUT', `/v1/session/destroy/${session}`);
      http.close();
    },
  };
}

// One coordinator, `workers` threads each looping on its own lock; the best of `rounds` rounds, as for the SDK.
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
      ['-c', PYTHON_LOOP, `consul://127.0.0.1:${port}`, String(MS / ROUNDS / 1_000), String(workers), String(ROUNDS)],
      { timeout: 60_000 },
    );
    return Number(stdout.trim());
  } catch (error) {
    console.log(`  (Python tooz did not run: ${(error as Error).message.split('\n', 2).join(' ')})`);
    return undefined;
  }
}

/** Release call to the waiter holding; the waiter is parked on a blocking query on the key. */
async function sdkHandOff(port: number): Promise<number[]> {
  const driver = driverFor(port);
  const a = await connect(driver, { ttl: TTL, memberId: 'handoff-a' });
  const b = await connect(driver, { ttl: TTL, memberId: 'handoff-b' });
  const samples: number[] = [];
  try {
    let holder = await a.acquire('handoff');
    for (let i = 0; i < SAMPLES; i++) {
      const waiter: Coordinator = i % 2 === 0 ? b : a;
      const next = waiter.acquire('handoff', { wait: 10_000 });
      // Let the waiter be refused once and park on its blocking query.
      await sleep(20);
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
    console.log(
      `@tooz/driver-consul on @tooz/testing's Consul-API-compatible server (127.0.0.1:${server.port}, its own process; NOT a real Consul: no Raft, writes are in memory), ${MS} ms per measurement`,
    );
    for (const workers of [1, CONCURRENCY]) {
      const loops = {
        raw: await rawLoop(server.port, workers, false),
        rawWatch: await rawLoop(server.port, workers, true),
        sdk: await sdkLoop(server.port, workers),
      };
      const best = await bestOf({ raw: loops.raw.run, rawWatch: loops.rawWatch.run, sdk: loops.sdk.run }, MS, ROUNDS);
      await Promise.all(Object.values(loops).map((loop) => loop.close()));
      const python = await pythonThroughput(server.port, workers);
      const label = workers === 1 ? 'one at a time' : `${workers} locks at a time (Python: as many threads)`;
      const line = (name: string, m: Measured, note: string) =>
        console.log(
          `  ${name.padEnd(46)}: ${fmt(m.rate).padStart(7)} /s  ${m.cpu.toFixed(1).padStart(6)} µs CPU each  ${note}`,
        );
      console.log(`uncontended acquire+release, ${label}`);
      line('raw HTTP, acquire + read-back + release', best.raw, '');
      line("raw HTTP, the same plus the hold's watch", best.rawWatch, '');
      line(
        'SDK, coordinator.acquire() + release()',
        best.sdk,
        `${(best.sdk.rate / best.raw.rate).toFixed(2)} of raw, ${(best.sdk.rate / best.rawWatch.rate).toFixed(2)} of raw with the watch`,
      );
      if (python !== undefined) {
        console.log(
          `  ${'Python tooz 3.1.0 consul driver'.padEnd(46)}: ${fmt(python).padStart(7)} /s  SDK = ${(best.sdk.rate / python).toFixed(2)} × Python`,
        );
      }
    }

    const handOff = summary(await sdkHandOff(server.port));
    console.log(`contended hand-off, release call to next holder (${SAMPLES} samples, woken by a blocking query)`);
    console.log(`  SDK${' '.repeat(43)}: p50 ${ms(handOff.p50)}  p99 ${ms(handOff.p99)}`);
  } finally {
    server.process.stdin?.end();
    await new Promise((resolve) => server.process.once('exit', resolve));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--serve')) await serve();
  else await main();
}
