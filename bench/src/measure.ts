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
