import { type FaultProxy, waitUntil } from '@tooz/testing';
import type { Timeline } from './timeline.js';

export interface FaultWindow {
  /** The refresh of the reference hold the fault was timed from (server arrival, wall-clock ms). */
  readonly refreshAt: number;
  /** The refresh interval measured between that refresh and the one before it. */
  readonly interval: number;
  readonly suspendedAt: number;
  readonly healedAt: number;
}

/**
 * Partitions a holder at a chosen point of one hold's refresh cycle: waits
 * for the next refresh of `hold` to reach the server, suspends the proxy
 * `fraction` of a refresh interval after that arrival (the interval is
 * measured from the previous refresh, not assumed), and resumes it
 * `duration` ms later. The timeline gets `fault` and `heal` marks; the
 * window says when each happened, so a test can tell which guarantee
 * applies to each hold.
 *
 * The test's own timers pace the fault (it plays the network, not the
 * SDK): the window records when the proxy actually changed state.
 */
export async function suspendInCycle(
  proxy: FaultProxy,
  timeline: Timeline,
  hold: string,
  { fraction, duration }: { readonly fraction: number; readonly duration: number },
  bound = 20_000,
): Promise<FaultWindow> {
  const before = timeline.entries.length;
  await waitUntil(
    () => timeline.of(hold, 'refresh').some((e) => e.seq >= before) && timeline.of(hold, 'refresh').length >= 2,
    bound,
    `a refresh of ${hold}`,
  );
  const refreshes = timeline.of(hold, 'refresh');
  const index = refreshes.findIndex((e) => e.seq >= before);
  const refreshAt = refreshes[index]?.at ?? Date.now();
  const interval = refreshAt - (refreshes[index - 1]?.at ?? refreshAt);
  await sleep(refreshAt + fraction * interval - Date.now());
  proxy.suspend();
  const suspendedAt = timeline.add('fault', '', 'suspended').at;
  await sleep(suspendedAt + duration - Date.now());
  proxy.resume();
  const healedAt = timeline.add('heal', '').at;
  return { refreshAt, interval, suspendedAt, healedAt };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
