/**
 * The machine's load while a benchmark runs. The machine is shared: a ratio
 * measured while the load exceeds the core count says less than one measured
 * on an idle machine, so every result prints the load it was measured under.
 */
import { availableParallelism, loadavg } from 'node:os';

export interface Load {
  /** The 1-minute load average: lowest and highest seen while the work ran. */
  readonly min: number;
  readonly max: number;
  readonly cores: number;
}

/** Runs `work`, sampling the 1-minute load average every `every` ms (and at both ends). */
export async function underLoad<T>(work: () => Promise<T>, every = 1_000): Promise<{ result: T; load: Load }> {
  const samples = [loadavg()[0] ?? Number.NaN];
  const sampler = setInterval(() => samples.push(loadavg()[0] ?? Number.NaN), every);
  try {
    const result = await work();
    samples.push(loadavg()[0] ?? Number.NaN);
    return { result, load: { min: Math.min(...samples), max: Math.max(...samples), cores: availableParallelism() } };
  } finally {
    clearInterval(sampler);
  }
}

export const loadLine = (load: Load) =>
  `load average (1 min) ${load.min.toFixed(2)}–${load.max.toFixed(2)} on ${load.cores} cores`;
