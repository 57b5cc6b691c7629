import { Backoff } from '../driver/backoff.js';

/** Core's own retries follow the user's options without jitter: virtual-time tests need exact times. */
export function exactBackoff(delay: number, maxDelay: number): Backoff {
  return new Backoff({ delay, maxDelay, jitter: false });
}
