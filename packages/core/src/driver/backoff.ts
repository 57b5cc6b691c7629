/** The user's retry options (`retryDelay`, `maxRetryDelay`), as drivers receive them. */
export interface RetryPolicy {
  /** First delay in ms. */
  readonly delay: number;
  /** Largest delay in ms. */
  readonly maxDelay: number;
  /**
   * Spread each delay over [delay/2, delay] so that many clients cut off by
   * one fault do not come back in step. Core's own timers pass false: its
   * virtual-time tests need exact times. Default true.
   */
  readonly jitter?: boolean;
}

/**
 * Exponential backoff: `next()` gives the delay before the next attempt,
 * doubling from `delay` up to `maxDelay`; `reset()` after a success.
 * The random source is injectable for deterministic tests.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly random: () => number = Math.random,
  ) {
    this.current = policy.delay;
  }

  /**
   * The next delay in ms: the previous one doubled, capped at `maxDelay`, with jitter (between half and all of it)
   * unless `jitter: false`.
   */
  next(): number {
    const delay = this.current;
    this.current = Math.min(this.policy.maxDelay, Math.max(1, this.current * 2));
    if (this.policy.jitter === false) return delay;
    return Math.round(delay / 2 + (delay / 2) * this.random());
  }

  /** Starts again from the policy's first `delay`, after a success. */
  reset(): void {
    this.current = this.policy.delay;
  }
}
