import type { Coordinator, LockLease } from '@tooz/core';
import { holdLock, until } from '@tooz/testing';
import { type Subscription, tap } from 'rxjs';

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
  let leased: { resolve(lease: LockLease): void; reject(error: unknown): void } | undefined;
  const firstLease = new Promise<LockLease>((resolve, reject) => {
    leased = { resolve, reject };
  });
  const lock = holdLock(coordinator.lock(lockName).pipe(tap({ next: leased?.resolve, error: leased?.reject })));
  const errors = lock.errors;
  const leading: boolean[] = [];
  subscriptions.push(lock.subscription);
  await coordinator
    .group(group)
    .create()
    .catch(() => undefined);
  const membership = coordinator.group(group).join({ role: 'worker' });
  const joined = new Promise<void>((resolve) => {
    subscriptions.push(membership.subscribe({ next: () => resolve(), error: (e: unknown) => errors.push(e) }));
  });
  const leadership = coordinator.leadership(group);
  subscriptions.push(leadership.subscribe((value) => leading.push(value)));
  const [lease] = await Promise.all([firstLease, joined, until(leadership, (v) => v, 'leadership')]);
  return { errors, lease, leading };
}
