/**
 * One coordinator holding `count` locks at once (each subscribed through
 * `coordinator.lock()`, as an application holds them): how long taking them
 * all takes, the heap and the timers/handles they cost, and the CPU this
 * process spends keeping them alive over a fixed window.
 */
import type { Coordinator, LockLease } from '@tooz/core';
import type { Subscription } from 'rxjs';
import { activeResources, heapAfterGc, resourceDelta } from './heap.js';
import { bounded } from './loops.js';

export interface HoldFigures {
  readonly count: number;
  /** Seconds from the first subscribe to the last lease. */
  readonly acquireSeconds: number;
  /** Heap per held lock after full collections; undefined when gc cannot be exposed. */
  readonly bytesPerLock: number | undefined;
  /** Timers, sockets… that holding them added, by type (`Timeout +2`). */
  readonly resources: string;
  /** This process's CPU over the keep-alive window, µs per second of wall time. */
  readonly cpuPerSecond: number;
  /** Leases still `held` at the end of the window (all of them, unless keeping them alive fell behind). */
  readonly stillHeld: number;
  /** Seconds for close() to give every one of them back. */
  readonly releaseSeconds: number;
}

/** Every lock acquired within this, or the run fails: 10,000 round trips on loopback take a few seconds. */
const ACQUIRE_BOUND = 120_000;

/**
 * `window` locks are being acquired at any time (0: all `count` at once).
 * All at once, the session's own keep-alive queues behind the burst: a
 * burst longer than the TTL less its margin loses the session (seen on
 * postgres, etcd and zookeeper at a 3 s TTL on a loaded machine).
 */
export async function holdMany(
  connect: () => Promise<Coordinator>,
  count: number,
  keepMs: number,
  window: number,
): Promise<HoldFigures> {
  const coordinator = await connect();
  const subscriptions: Subscription[] = [];
  try {
    const before = heapAfterGc();
    const resourcesBefore = activeResources();
    const leases: LockLease[] = [];
    const started = performance.now();
    await bounded(
      new Promise<void>((resolve, reject) => {
        const subscribeNext = () => {
          const i = subscriptions.length;
          if (i >= count) return;
          subscriptions.push(
            coordinator.lock(`scale-${i}`).subscribe({
              next: (lease) => {
                leases.push(lease);
                if (leases.length === count) resolve();
                // Not from inside this callback: a driver that grants synchronously would recurse 10,000 deep.
                else queueMicrotask(subscribeNext);
              },
              error: (error: Error) => {
                const elapsed = ((performance.now() - started) / 1_000).toFixed(2);
                reject(new Error(`${leases.length} of ${count} held after ${elapsed} s: ${error.message}`));
              },
            }),
          );
        };
        if (count === 0) resolve();
        for (let i = 0; i < (window > 0 ? Math.min(window, count) : count); i++) subscribeNext();
      }),
      `${count} locks acquired`,
      ACQUIRE_BOUND,
    );
    const acquireSeconds = (performance.now() - started) / 1_000;
    const after = heapAfterGc();
    const resources = resourceDelta(resourcesBefore, activeResources());

    const cpu = process.cpuUsage();
    const windowStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, keepMs));
    const used = process.cpuUsage(cpu);
    const cpuPerSecond = ((used.user + used.system) * 1_000) / (performance.now() - windowStart);
    const stillHeld = leases.filter((lease) => lease.state === 'held').length;

    const closing = performance.now();
    await bounded(coordinator.close(), `close with ${count} locks`, ACQUIRE_BOUND);
    return {
      count,
      acquireSeconds,
      bytesPerLock: before === undefined || after === undefined || count === 0 ? undefined : (after - before) / count,
      resources,
      cpuPerSecond,
      stillHeld,
      releaseSeconds: (performance.now() - closing) / 1_000,
    };
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
    await coordinator.close();
  }
}
