import type { Coordinator } from '@tooz/core';
import { waitUntil } from '@tooz/testing';
import type { Subscription } from 'rxjs';
import { keepLeadership, keepLock, keepMembership } from './keepers.js';
import { RefreshMonitor } from './refresh-monitor.js';
import { Timeline } from './timeline.js';

export const HOLDS = ['lock', 'leadership', 'membership'] as const;
export type HoldName = (typeof HOLDS)[number];

export interface ThreeHolds extends AsyncDisposable {
  readonly coordinator: Coordinator;
  readonly timeline: Timeline;
  /** Each hold's key on the server (the one its refresh script names first). */
  readonly keys: Readonly<Record<HoldName, string>>;
  readonly group: string;
}

/**
 * One holder that keeps a lock, a leadership and a membership (taking each
 * again after a loss), with every grant, loss and refresh in one timeline.
 * Resolves once each hold is granted and has refreshed twice, so a fault
 * injected next hits holds in their steady refresh cycle.
 */
export async function holdThree(options: {
  /** Opens the holder (through a fault proxy, or straight to the server). */
  readonly connect: (options: { memberId: string; ttl: number }) => Promise<Coordinator>;
  /** The server itself, for MONITOR. */
  readonly serverUrl: string;
  readonly memberId: string;
  readonly ttl: number;
  readonly names: { readonly lock: string; readonly group: string };
  readonly bound?: number;
}): Promise<ThreeHolds> {
  const { lock, group } = options.names;
  const keys = {
    lock: `tooz_${lock}_lock`,
    leadership: `tooz_leader_of_${group}_lock`,
    membership: `tooz_group:${group}`,
  };
  const timeline = new Timeline();
  const monitor = await RefreshMonitor.start(
    options.serverUrl,
    timeline,
    new Map(HOLDS.map((hold) => [keys[hold], hold])),
  );
  const coordinator = await options.connect({ memberId: options.memberId, ttl: options.ttl });
  const kept: Subscription[] = [];
  const dispose = async () => {
    for (const subscription of kept) subscription.unsubscribe();
    monitor.stop();
    await coordinator.close();
  };
  try {
    await coordinator.group(group).create();
    kept.push(
      keepLock(coordinator, lock, timeline),
      keepLeadership(coordinator, group, timeline),
      keepMembership(coordinator, group, timeline),
    );
    await waitUntil(
      () => HOLDS.every((hold) => timeline.refreshesAfter(hold, timeline.last(hold, 'grant')?.seq ?? Infinity) >= 2),
      options.bound ?? 20_000,
      'every hold granted and in its refresh cycle',
    );
  } catch (error) {
    await dispose();
    throw error;
  }
  return { coordinator, timeline, keys, group, [Symbol.asyncDispose]: dispose };
}

/** Held again (or still) and refreshed `count` times since both entry `seq` and its last grant. */
export function steadySince(timeline: Timeline, hold: string, seq: number, count: number): boolean {
  const grant = timeline.last(hold, 'grant')?.seq ?? Number.POSITIVE_INFINITY;
  const loss = timeline.last(hold, 'loss')?.seq ?? -1;
  return grant > loss && timeline.refreshesAfter(hold, Math.max(grant, seq)) >= count;
}
