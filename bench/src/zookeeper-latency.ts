/**
 * Latencies through the SDK, in one process on one clock: a contended lock
 * hand-off, join → joined event, leadership hand-over after standDown() and
 * after the leader's process is killed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
const WARM_UP = 5;

/** Two coordinators pass one lock back and forth; the next holder is always already queued. */
export async function handOff(a: Coordinator, b: Coordinator, name: string, samples: number): Promise<Percentiles> {
  const latencies: number[] = [];
  let holder = await a.acquire(name);
  let other = b;
  let current = a;
  for (let i = 0; i < samples + WARM_UP; i++) {
    const waiting = other.acquire(name, { wait: 30_000 });
    // Let the waiter's node and its watch on the holder's node settle.
    await sleep(10);
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
export async function joinToEvent(watcher: Coordinator, member: Coordinator, group: string, samples: number) {
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
export async function standDownHandOver(a: Coordinator, b: Coordinator, group: string, samples: number) {
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

/**
 * A leader in another process is killed (SIGKILL); the candidate here takes
 * over once ZooKeeper expires the dead session: the session timeout bounds it.
 */
export async function killedLeaderHandOver(
  candidate: Coordinator,
  hosts: string,
  group: string,
  sessionTimeout: number,
  samples: number,
): Promise<Percentiles> {
  const latencies: number[] = [];
  const script = fileURLToPath(new URL('./zookeeper-leader.js', import.meta.url));
  for (let i = 0; i < samples; i++) {
    const child = spawn(process.execPath, [script, hosts, group, String(sessionTimeout)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('leading')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the leader process exited (${code}) before leading`)));
    });
    const subscription = candidate.leadership(group).subscribe();
    // Queued behind the child's seat before it dies.
    await sleep(50);
    const taken = firstValueFrom(candidate.leadership(group).pipe(filter((leading) => leading)));
    const start = performance.now();
    child.kill('SIGKILL');
    await taken;
    latencies.push(performance.now() - start);
    subscription.unsubscribe();
    await sleep(20);
  }
  return percentiles(latencies);
}
