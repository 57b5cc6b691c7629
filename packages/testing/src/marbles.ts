/**
 * Marble tests in virtual time: a TestScheduler asserting with vitest, coordinators on one memory
 * server, clocks that stall. Needs vitest.
 *
 * @packageDocumentation
 * @module @tooz/testing/marbles
 */
// The `@tooz/testing/marbles` entry: it asserts with vitest's deep equality,
// so it is never re-exported by the vitest-free main entry.
import { type Coordinator, type CoreOptionsInput, connect } from '@tooz/core';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { MemoryServer } from './memory/memory-server.js';
import { memory } from './memory/memory-driver.js';

/** Errors compare by type, message and fields, not by stack: stacks differ between two constructions. */
function withoutStacks(value: unknown): unknown {
  if (value instanceof Error) {
    const { stack: _stack, ...fields } = value as Error & Record<string, unknown>;
    return { ...fields, error: value.constructor.name, message: value.message };
  }
  if (Array.isArray(value)) return value.map(withoutStacks);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutStacks(item)]));
  }
  return value;
}

/** A TestScheduler asserting with vitest's deep equality, error stacks ignored. */
export function createTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(withoutStacks(actual)).toEqual(withoutStacks(expected));
  });
}

/**
 * One member's view of a TestScheduler, whose clock can jump ahead while its
 * timers stay where they were: an event-loop stall (a GC pause, SIGSTOP,
 * synchronous work) as the stalled process sees it. Every timer it armed
 * before the jump then fires late by the jump.
 */
export class StallableClock implements SchedulerLike {
  private skew = 0;

  constructor(private readonly inner: TestScheduler) {}

  now(): number {
    return this.inner.now() + this.skew;
  }

  /** Schedules on the TestScheduler as is: a stall moves the clock, never the timers. */
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return this.inner.schedule(work, delay, state);
  }

  /** The process stood still for `ms`: its clock jumps, nothing it scheduled has run. */
  stall(ms: number): void {
    this.skew += ms;
  }
}

/** What `virtualCluster` returns. */
export interface VirtualCluster<Id extends string> {
  /** The TestScheduler every member's time runs on; drive the test inside `scheduler.run`. */
  readonly scheduler: TestScheduler;
  /** The memory server they share. */
  readonly server: MemoryServer;
  /** One coordinator per member id. */
  readonly members: Record<Id, Coordinator>;
  /**
   * Stalls one member's event loop for `ms` (see StallableClock): call it
   * from a scheduled callback; the member's next read sees the jumped clock.
   */
  readonly stall: (memberId: Id, ms: number) => void;
}

/**
 * Coordinators on one memory server, all in the scheduler's virtual time.
 * Connect here (outside `scheduler.run`), then drive and assert inside it.
 *
 * @example
 * const { scheduler, members: { a, b } } = await virtualCluster(['a', 'b'], { ttl: 100 });
 * scheduler.run(({ expectObservable }) => { ... });
 */
export async function virtualCluster<const Id extends string>(
  memberIds: readonly Id[],
  options: CoreOptionsInput & { latency?: number; notifications?: 'push' | 'poll' } = {},
): Promise<VirtualCluster<Id>> {
  const scheduler = createTestScheduler();
  const { latency, notifications, ...core } = options;
  const server = new MemoryServer({ scheduler, latency: latency ?? 0 });
  const members = {} as Record<Id, Coordinator>;
  const clocks = new Map<Id, StallableClock>();
  for (const memberId of memberIds) {
    const clock = new StallableClock(scheduler);
    clocks.set(memberId, clock);
    members[memberId] = await connect(memory({ server, notifications: notifications ?? 'push' }), {
      retryDelay: 10,
      maxRetryDelay: 40,
      ...core,
      memberId,
      scheduler: clock,
    });
  }
  const stall = (memberId: Id, ms: number) => clocks.get(memberId)?.stall(ms);
  return { scheduler, server, members, stall };
}
