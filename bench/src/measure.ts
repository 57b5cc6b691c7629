/** Runs `body` repeatedly for about `ms` (after a warm-up) and returns operations per second. */
export async function opsPerSecond(body: () => void | Promise<void>, ms = 1_000, batch = 1_000): Promise<number> {
  const until = performance.now() + ms / 4;
  while (performance.now() < until) for (let i = 0; i < batch; i++) await body();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) await body();
    count += batch;
    now = performance.now();
  }
  return (count * 1_000) / (now - start);
}

/** Synchronous variant: no await per operation, for bodies that complete synchronously. */
export function opsPerSecondSync(body: () => void, ms = 1_000, batch = 1_000): number {
  const until = performance.now() + ms / 4;
  while (performance.now() < until) for (let i = 0; i < batch; i++) body();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) body();
    count += batch;
    now = performance.now();
  }
  return (count * 1_000) / (now - start);
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Runs `loop` one call after another for `ms` and returns calls per second. */
export async function rateFor(loop: () => Promise<unknown>, ms: number): Promise<number> {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await loop();
    count++;
  }
  return (count * 1_000) / (performance.now() - start);
}

/** A loop that times itself (another process): one call runs a whole round and returns its rate. */
export interface TimedLoop {
  readonly timed: (ms: number) => Promise<number>;
}

export type Loop = () => Promise<unknown>;

export interface Interleaved<K extends string> {
  /** Median rate of each loop, per second. */
  readonly rates: Record<K, number>;
  /**
   * Median over rounds of rate(a) / rate(b). Each round runs every loop back
   * to back, so a busy spell of the shared machine slows them alike; the
   * ratio of one round is steadier than the ratio of two medians.
   */
  ratio(a: K, b: K): number;
}

const runRound = (loop: Loop | TimedLoop, ms: number): Promise<number> =>
  typeof loop === 'function' ? rateFor(loop, ms) : loop.timed(ms);

/**
 * Runs each loop for `ms`, `rounds` times, rotating which goes first, after
 * a warm-up of `warmUpMs` each (the JITs of this process and of the server,
 * and the server's caches, settle first).
 */
export async function interleaved<K extends string>(
  loops: Record<K, Loop | TimedLoop>,
  rounds: number,
  ms: number,
  warmUpMs = 2 * ms,
): Promise<Interleaved<K>> {
  const names = Object.keys(loops) as K[];
  for (const name of names) await runRound(loops[name], warmUpMs);
  const measured: Array<Record<K, number>> = [];
  for (let round = 0; round < rounds; round++) {
    const rates = {} as Record<K, number>;
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] as K;
      rates[name] = await runRound(loops[name], ms);
    }
    measured.push(rates);
  }
  const rates = Object.fromEntries(names.map((name) => [name, median(measured.map((r) => r[name]))])) as Record<
    K,
    number
  >;
  return { rates, ratio: (a, b) => median(measured.map((r) => r[a] / r[b])) };
}
