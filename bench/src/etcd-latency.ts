/**
 * Latencies through the SDK on one etcd, each from the causing call to the
 * effect seen by another coordinator in the same process (one clock):
 * - contended hand-off: from the holder's release() to the waiter holding;
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two coordinators pass one lock back and forth; the next holder is always already queued. */
export async function handOff(a: Coordinator, b: Coordinator, name: string, samples: number): Promise<Percentiles> {
  const latencies: number[] = [];
  let holder = await a.acquire(name);
  let [current, other] = [a, b];
  for (let i = 0; i < samples + 5; i++) {
    const waiting = other.acquire(name, { wait: 30_000 });
    // Let the waiter's entry and its watch on the holder's entry settle.
    await sleep(15);
    const start = performance.now();
    await holder.release();
    holder = await waiting;
    if (i >= 5) latencies.push(performance.now() - start);
    [current, other] = [other, current];
  }
  await holder.release();
  return percentiles(latencies);
}

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
  const events: Array<{ event: MembershipEvent; at: number }> = [];
  let wake: (() => void) | undefined;
  const watching = watcher.group(group).events$.subscribe((event) => {
    events.push({ event, at: performance.now() });
    wake?.();
  });
  await watcher.group(group).members();
  const next = (type: string) =>
    new Promise<number>((resolve) => {
      const look = () => {
        const found = events.find((e) => e.event.type === type && e.event.memberId === member.memberId);
        if (!found) return;
        events.splice(events.indexOf(found), 1);
        wake = undefined;
        resolve(found.at);
      };
      wake = look;
      look();
    });
  const joined: number[] = [];
  const left: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const started = performance.now();
    const seenJoin = next('joined');
    let membership: Subscription | undefined;
    membership = member.group(group).join({ round: i }).subscribe();
    const joinedAt = await seenJoin;
    const leftStart = performance.now();
    const seenLeave = next('left');
    membership.unsubscribe();
    membership = undefined;
    const leftAt = await seenLeave;
    if (i >= 5) {
      joined.push(joinedAt - started);
      left.push(leftAt - leftStart);
    }
    await sleep(2);
  }
  watching.unsubscribe();
  return { joined: percentiles(joined), left: percentiles(left) };
}

export async function leadershipHandOver(
  a: Coordinator,
  b: Coordinator,
  group: string,
  samples: number,
): Promise<Percentiles> {
  const subscriptions = [a.leadership(group).subscribe(), b.leadership(group).subscribe()];
  const latencies: number[] = [];
  for (let i = 0; i < samples + 3; i++) {
    const leading = await firstValueFrom(
      // Whoever leads now...
      a
        .leadership(group)
        .leader$.pipe(filter((id) => id === a.memberId || id === b.memberId)),
    );
    const [leader, follower] = leading === a.memberId ? [a, b] : [b, a];
    await leader.leadership(group).whenLeading();
    const start = performance.now();
    const next = follower.leadership(group).whenLeading();
    await leader.leadership(group).standDown();
    await next;
    if (i >= 3) latencies.push(performance.now() - start);
    // The one that stood down queues again once it sees the successor; let it.
    await sleep(20);
  }
  for (const s of subscriptions) s.unsubscribe();
  return percentiles(latencies);
}
