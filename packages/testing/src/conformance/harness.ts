import { randomUUID } from 'node:crypto';
import type { CapabilityDescriptor, Coordinator, CoreOptionsInput } from '@tooz/core';
import { filter, firstValueFrom, type Observable, Subscription, timeout } from 'rxjs';
import { afterEach } from 'vitest';

/** Fault hooks a driver's test may provide; scenarios that need one are skipped by capability when absent. */
export interface ConformanceFaults {
  /** The member can no longer reach the backend; its session may survive. */
  suspend?(memberId: string): void | Promise<void>;
  /** The member reaches the backend again (undoes `suspend`). */
  resume?(memberId: string): void | Promise<void>;
  /** The member's session ends on the backend: everything it held is gone. */
  expireSession?(memberId: string): void | Promise<void>;
}

/** What the conformance registrars need from a driver's test. */
export interface ConformanceTarget {
  /** The descriptor of the driver under test: scenarios are chosen by it, never by name. */
  readonly capabilities: CapabilityDescriptor;
  /** Opens a new coordinator on the shared backend. */
  connect(options: CoreOptionsInput & { memberId: string }): Promise<Coordinator>;
  /** Fault hooks; scenarios needing an absent one are skipped. */
  readonly faults?: ConformanceFaults;
  /**
   * Milliseconds for TTL-bound scenarios: short enough to run quickly, long
   * enough for the backend's granularity (etcd leases count in seconds).
   */
  readonly ttl: number;
  /** Upper bound, in ms, on anything the suite waits for (a hang guard, never a speed assertion). */
  readonly patience?: number;
}

export interface Harness {
  readonly target: ConformanceTarget;
  /** A fresh id, so tests sharing one server never meet. */
  id(prefix: string): string;
  /** A coordinator closed after the test. */
  coordinator(memberId?: string, options?: CoreOptionsInput): Promise<Coordinator>;
  /** The first value matching, or a descriptive failure once patience runs out. */
  next<T>(source: Observable<T>, predicate?: (value: T) => boolean, what?: string): Promise<T>;
  readonly patience: number;
}

export function harness(target: ConformanceTarget): Harness {
  const open: Coordinator[] = [];
  const patience = target.patience ?? 15_000;
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((coordinator) => coordinator.close()));
  });
  return {
    target,
    patience,
    id: (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`,
    async coordinator(memberId = `m-${randomUUID().slice(0, 8)}`, options = {}) {
      const coordinator = await target.connect({ ttl: target.ttl, ...options, memberId });
      open.push(coordinator);
      return coordinator;
    },
    next: (source, predicate = () => true, what = 'a value') =>
      firstValueFrom(
        source.pipe(
          filter(predicate),
          timeout({ first: patience, with: () => Promise.reject(new Error(`no ${what} within ${patience} ms`)) }),
        ),
      ),
  };
}

/** Resolves after `ms` of real time: only used to let TTLs pass, never to assert speed. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { rejectionOf } from '../promises.js';

/**
 * Joins and resolves once joined; the returned subscription is the membership.
 * The container exists before subscribing because a backend may answer synchronously.
 */
export function joined<T>(join$: Observable<T>, errors: unknown[] = []): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    let done = false;
    const membership = new Subscription();
    membership.add(
      join$.subscribe({
        next: () => {
          done = true;
          resolve(membership);
        },
        error: (error: unknown) => {
          errors.push(error);
          if (!done) reject(error);
        },
      }),
    );
  });
}
