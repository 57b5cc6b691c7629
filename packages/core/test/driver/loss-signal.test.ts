import { type HoldLoss, LossSignal } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';

describe('LossSignal', () => {
  it('replays the first loss to a late subscriber and ignores later reports', () => {
    const signal = new LossSignal();
    signal.expired('ttl');
    signal.stolen('deleted');
    const seen: HoldLoss[] = [];
    let completed = false;
    signal.lost$.subscribe({
      next: (loss) => seen.push(loss),
      complete: () => {
        completed = true;
      },
    });
    expect(seen).toEqual([{ reason: 'expired', cause: 'ttl' }]);
    expect(completed).toBe(true);
    expect(signal.isLost).toBe(true);
  });
});
