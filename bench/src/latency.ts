/**
 * Latencies through the SDK, each from the causing call to the effect seen by
 * another coordinator in the same process (one clock), shared by the driver
 * benchmarks:
 * - contended hand-off: from the holder's release() to the queued waiter holding;
 * - join-to-event: from join() to a watcher's `joined` event (and leave to `left`);
 * - leadership hand-over: from standDown() to the other candidate leading.
 */
import type { Coordinator, MembershipEvent } from '@tooz/core';
import { filter, firstValueFrom, type Subscription } from 'rxjs';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), samples: sorted.length };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const WARM_UP = 5;

/**
 * Two coordinators pass one lock back and forth; the next holder is always
 * already queued. `settleMs` lets the waiter's queue entry and its watch on
 * the holder settle first, so each sample is a real hand-off, not a race.
 */
export async function handOff(
  a: Coordinator,
  b: Coordinator,
  name: string,
  samples: number,
  settleMs: number,
): Promise<Percentiles> {
  const latencies: number[] = [];
  let holder = await a.acquire(name);
  let [current, other] = [a, b];
  for (let i = 0; i < samples + WARM_UP; i++) {
    const waiting = other.acquire(name, { wait: 30_000 });
    await sleep(settleMs);
    const start = performance.now();
    await holder.release();
    holder = await waiting;
    if (i >= WARM_UP) latencies.push(performance.now() - start);
    [current, other] = [other, current];
  }
  await holder.release();
  return percentiles(latencies);
}

/** From `join()` to the watcher's `joined` event, and from unsubscribing to its `left` event. */
export async function joinToEvent(
  watcher: Coordinator,
  member: Coordinator,
  group: string,
  samples: number,
): Promise<{ joined: Percentiles; left: Percentiles }> {
  await watcher
    .group(group)
    .create()
    .catch(() => undefined);
  const seen: Array<{ event: MembershipEvent; at: number }> = [];
  let wake: (() => void) | undefined;
  const watching = watcher.group(group).events$.subscribe((event) => {
    seen.push({ event, at: performance.now() });
    wake?.();
  });
  await watcher.group(group).members();
  const next = (type: MembershipEvent['type']) =>
    new Promise<number>((resolve) => {
      const look = () => {
        const found = seen.find((e) => e.event.type === type && e.event.memberId === member.memberId);
        if (!found) return;
        seen.splice(seen.indexOf(found), 1);
        wake = undefined;
        resolve(found.at);
      };
      wake = look;
      look();
    });
  const joined: number[] = [];
  const left: number[] = [];
  for (let i = 0; i < samples + WARM_UP; i++) {
    const joinedAt = next('joined');
    const started = performance.now();
    const membership: Subscription = member.group(group).join({ round: i }).subscribe();
    const joinLatency = (await joinedAt) - started;
    const leftAt = next('left');
    const leaving = performance.now();
    membership.unsubscribe();
    const leaveLatency = (await leftAt) - leaving;
    if (i >= WARM_UP) {
      joined.push(joinLatency);
      left.push(leaveLatency);
    }
    await sleep(2);
  }
  watching.unsubscribe();
  return { joined: percentiles(joined), left: percentiles(left) };
}

/** The leader stands down; the other candidate, already queued behind it, takes over. */
export async function standDownHandOver(
  a: Coordinator,
  b: Coordinator,
  group: string,
  samples: number,
): Promise<Percentiles> {
  const latencies: number[] = [];
  const subscriptions = [a.leadership(group).subscribe(), b.leadership(group).subscribe()];
  try {
    for (let i = 0; i < samples + WARM_UP; i++) {
      const leader = await firstLeader([a, b], group);
      const follower = leader === a ? b : a;
      // The stood-down leader queues again behind the new one: wait until it has.
      await sleep(10);
      const start = performance.now();
      const taken = firstValueFrom(follower.leadership(group).pipe(filter((leading) => leading)));
      await leader.leadership(group).standDown();
      await taken;
      if (i >= WARM_UP) latencies.push(performance.now() - start);
    }
  } finally {
    for (const s of subscriptions) s.unsubscribe();
  }
  return percentiles(latencies);
}

async function firstLeader(coordinators: Coordinator[], group: string): Promise<Coordinator> {
  for (;;) {
    const leader = coordinators.find((c) => c.leadership(group).value);
    if (leader) return leader;
    await sleep(1);
  }
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** One report line: p50 and p99, and whether p99 meets the goal when there is one. */
export const latencyLine = (label: string, p: Percentiles, goal?: number): string =>
  `  ${label.padEnd(36)} p50 ${ms(p.p50).padStart(10)}  p99 ${ms(p.p99).padStart(10)}  (${p.samples} samples)${
    goal === undefined ? '' : `  goal p99 ≤ ${goal} ms: ${p.p99 <= goal ? 'met' : 'NOT met'}`
  }`;
