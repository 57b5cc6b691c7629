/** Contended hand-off and join-to-event latencies through the SDK, as p50/p99 in ms. */
import type { AsyncLockLease, Coordinator, MembershipEvent } from '@tooz/core';
import { filter, firstValueFrom, type Observable, Subject } from 'rxjs';
import { type Percentiles, percentiles } from './latency.js';

export type { Percentiles };

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * From the holder calling release() to the waiter holding the lock: the
 * release's NOTIFY, the waiter's wake-up and its acquire round trip.
 */
export async function handOff(a: Coordinator, b: Coordinator, rounds: number): Promise<Percentiles> {
  const samples: number[] = [];
  let holder: AsyncLockLease = await a.acquire('handoff');
  for (let round = 0; round < rounds; round++) {
    const waiter = round % 2 === 0 ? b : a;
    const next = waiter.acquire('handoff', { wait: 10_000 });
    // Let the waiter's first attempt fail and its watch begin: a real hand-off, not a race.
    await settle(3);
    const start = performance.now();
    const released = holder.release();
    holder = await next;
    samples.push(performance.now() - start);
    await released;
  }
  await holder.release();
  return percentiles(samples);
}

/** From subscribing to join() to another member's events$ emitting the join. */
export async function joinToEvent(watcher: Coordinator, member: Coordinator, rounds: number): Promise<Percentiles> {
  const group = 'join-latency';
  await watcher
    .group(group)
    .create()
    .catch(() => undefined);
  const events = new Subject<MembershipEvent & { at: number }>();
  const watching = watcher.group(group).events$.subscribe((event) => events.next({ ...event, at: performance.now() }));
  const nextOf = (type: string): Observable<{ at: number }> => events.pipe(filter((event) => event.type === type));
  await settle(50);
  const samples: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const joined = firstValueFrom(nextOf('joined'));
      const start = performance.now();
      const membership = member.group(group).join({ round }).subscribe();
      samples.push((await joined).at - start);
      const left = firstValueFrom(nextOf('left'));
      membership.unsubscribe();
      await left;
    }
  } finally {
    watching.unsubscribe();
  }
  return percentiles(samples);
}
