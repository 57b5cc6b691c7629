/**
 * What the client benchmarks share: bounded waits, concurrent loops timed
 * with their CPU cost, alternating best-of rounds, percentiles.
 */
import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every wait of a benchmark is bounded: a lost notification fails the run instead of hanging it. */
export function bounded<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

export interface Measured {
  /** Completed cycles per second. */
  readonly rate: number;
  /** This process's CPU time per cycle, µs: what the client side costs, whatever the machine's load. */
  readonly cpu: number;
}

/** A contender: measured on demand, closed at the end. */
export interface Loop {
  run(ms: number): Promise<Measured>;
  close(): Promise<void>;
}

/** Runs `workers` loops of `body(worker)` side by side for `ms`. */
export async function throughput(
  workers: number,
  ms: number,
  body: (worker: number) => Promise<void>,
): Promise<Measured> {
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const until = start + ms;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < until) {
        await body(worker);
        count++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: (count * 1_000) / (performance.now() - start), cpu: (used.user + used.system) / count };
}

/**
 * Contenders measured in alternating short rounds (`ms` in all, after a
 * warm-up) on already-open connections; each one's best round counts. The
 * machine is shared: interference only ever slows a round down, so the best
 * round is the least disturbed one, and alternation gives each the same chances.
 */
export async function bestOf<K extends string>(
  contenders: Record<K, (ms: number) => Promise<Measured>>,
  ms: number,
  rounds: number,
): Promise<Record<K, Measured>> {
  const best = {} as Record<K, Measured>;
  const names = Object.keys(contenders) as K[];
  for (const name of names) await contenders[name](ms / rounds / 4);
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const value = await contenders[name](ms / rounds);
      const previous = best[name];
      best[name] = previous
        ? { rate: Math.max(previous.rate, value.rate), cpu: Math.min(previous.cpu, value.cpu) }
        : value;
    }
  }
  return best;
}

export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] ?? Number.NaN;

export function summary(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}
