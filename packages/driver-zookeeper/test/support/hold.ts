import type { Coordinator, LockLease } from '@tooz/core';
import type { Subscription } from 'rxjs';
import { waitUntil } from '@tooz/testing';

export interface Holdings {
  /** Errors of the lock and of the membership, in the order they came. */
  readonly errors: unknown[];
  readonly lease: LockLease;
  /** Every value the leadership emitted. */
  readonly leading: boolean[];
}

/**
 * Holds a lock, a membership and a leadership at once, so a fault test can
 * check what happens to each. Subscriptions go to `subscriptions` for the
 * test to end.
 */
export async function holdEverything(
  coordinator: Coordinator,
  lockName: string,
  group: string,
  subscriptions: Subscription[],
): Promise<Holdings> {
  const errors: unknown[] = [];
  const leases: LockLease[] = [];
  const leading: boolean[] = [];
  let joined = false;
  subscriptions.push(
    coordinator.lock(lockName).subscribe({ next: (lease) => leases.push(lease), error: (e) => errors.push(e) }),
  );
  await coordinator
    .group(group)
    .create()
    .catch(() => undefined);
  subscriptions.push(
    coordinator
      .group(group)
      .join({ role: 'worker' })
      .subscribe({
        next: () => {
          joined = true;
        },
        error: (e) => errors.push(e),
      }),
  );
  subscriptions.push(coordinator.leadership(group).subscribe((value) => leading.push(value)));
  await waitUntil(() => leases.length === 1 && joined && coordinator.leadership(group).value, 30_000);
  return { errors, lease: leases[0] as LockLease, leading };
}
