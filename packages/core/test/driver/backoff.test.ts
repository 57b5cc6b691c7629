import { Backoff } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';

describe('Backoff', () => {
  it('doubles from the first delay up to the largest, and starts again after reset', () => {
    const backoff = new Backoff({ delay: 50, maxDelay: 300, jitter: false });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      50, 100, 200, 300, 300,
    ]);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it('spreads each delay over its upper half with jitter', () => {
    const low = new Backoff({ delay: 100, maxDelay: 1_000 }, () => 0);
    const high = new Backoff({ delay: 100, maxDelay: 1_000 }, () => 1);
    expect([low.next(), low.next()]).toEqual([50, 100]);
    expect([high.next(), high.next()]).toEqual([100, 200]);
  });

  it('never waits less than a millisecond after a zero first delay', () => {
    const backoff = new Backoff({ delay: 0, maxDelay: 10, jitter: false });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([0, 1, 2]);
  });
});
