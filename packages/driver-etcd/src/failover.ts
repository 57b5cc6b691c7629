import type { SchedulerLike } from 'rxjs';
import { type IOptions, isRecoverableError } from 'etcd3';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type Policy = ReturnType<NonNullable<FaultHandling['host']>>;
type Backoff = NonNullable<FaultHandling['watchBackoff']>;

/** How long a host that failed is passed over while another one looks healthy. */
const COOLDOWN_MS = 2_000;

class HostSkipped extends Error {}

/**
 * etcd3's cockatiel policies only need `execute`; its events are never read
 * (and cockatiel is not a dependency of this package), hence the cast.
 */
const policy = (execute: (fn: () => unknown) => Promise<unknown>): Policy =>
  ({
    execute: (fn: (context: { signal: AbortSignal }) => unknown) => execute(() => fn({ signal: NEVER_ABORTED })),
  }) as unknown as Policy;

const NEVER_ABORTED = new AbortController().signal;

const PASS_THROUGH: Policy = {
  execute: async (fn: (context: { signal: AbortSignal }) => unknown) => fn({ signal: NEVER_ABORTED }),
} as unknown as Policy;

/**
 * Fault handling for a cluster, replacing etcd3's defaults (three retries of
 * any call, and a per-host circuit breaker that refuses a lone host for 5 s
 * after three failures, even once it is back):
 * - a call that fails in transport is retried at once on the next host, at
 *   most once per host (single host: no retry here, core backs off). Every
 *   write of this driver is safe to repeat (unique keys, client-chosen lease
 *   ids, compare-and-swap), see the README;
 * - a host that just failed is passed over while another host has not, so a
 *   dead member costs one failed call, not one per request.
 */
export function faultHandling(hosts: readonly string[], scheduler: SchedulerLike): FaultHandling {
  // One host: nothing to fail over to, and nothing to add on every call; core retries with backoff.
  if (hosts.length === 1)
    return { global: PASS_THROUGH, host: () => PASS_THROUGH, watchBackoff: watchBackoff(100, 1_000) };
  const failedAt = new Map<string, number>();
  const cooling = (host: string) => {
    const at = failedAt.get(host);
    return at !== undefined && scheduler.now() - at < COOLDOWN_MS;
  };
  return {
    global: policy(async (fn) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn();
        } catch (error) {
          if (attempt >= hosts.length || !(error instanceof Error) || !isRecoverableError(error)) throw error;
        }
      }
    }),
    host: (host) =>
      policy(async (fn) => {
        if (cooling(host) && hosts.some((other) => other !== host && !cooling(other))) {
          throw new HostSkipped(`${host} failed recently`);
        }
        try {
          const result = await fn();
          failedAt.delete(host);
          return result;
        } catch (error) {
          if (error instanceof Error && isRecoverableError(error)) failedAt.set(host, scheduler.now());
          throw error;
        }
      }),
    watchBackoff: watchBackoff(100, 1_000),
  };
}

/** Watch streams reconnect after 100 ms, doubling to 1 s (etcd3's default grows to 30 s). */
function watchBackoff(initial: number, max: number): Backoff {
  const step = (duration: number): Backoff => ({ duration, next: () => step(Math.min(max, duration * 2)) });
  return step(initial);
}
