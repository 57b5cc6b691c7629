import { Etcd3, type IOptions, isRecoverableError } from 'etcd3';
import type { SchedulerLike } from 'rxjs';
import type { EtcdSettings } from './options.js';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type Policy = ReturnType<NonNullable<FaultHandling['host']>>;

/** How long a host that failed is passed over while another one looks healthy. */
const COOLDOWN_MS = 2_000;

/** An etcd3 client for one session: its own connections, closed with the session. */
export function createClient(settings: EtcdSettings, scheduler: SchedulerLike): Etcd3 {
  const config: IOptions = {
    hosts: [...settings.hosts],
    faultHandling: faultHandling(settings.hosts, scheduler),
    grpcOptions: {
      // A connection that died silently (a partition, a paused member) is found by gRPC pings, and
      // its streams fail over. etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      // grpc-js waits up to 2 minutes between reconnects by default; a restarted member should be used again soon.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  };
  if (settings.credentials) config.credentials = settings.credentials;
  if (settings.auth) config.auth = { username: settings.auth.username, password: settings.auth.password };
  return new Etcd3(config);
}

const NEVER_ABORTED = new AbortController().signal;

/** etcd3's cockatiel policies only need `execute` (cockatiel is not a dependency here, hence the cast). */
const policy = (execute: (fn: () => unknown) => Promise<unknown>): Policy =>
  ({
    execute: (fn: (context: { signal: AbortSignal }) => unknown) => execute(() => fn({ signal: NEVER_ABORTED })),
  }) as unknown as Policy;

const PASS_THROUGH = policy(async (fn) => fn());

class HostSkipped extends Error {}

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
 * (No `watchBackoff`: etcd3's watch manager is not used, see WatchStream.)
 */
function faultHandling(hosts: readonly string[], scheduler: SchedulerLike): FaultHandling {
  if (hosts.length === 1) return { global: PASS_THROUGH, host: () => PASS_THROUGH };
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
  };
}

interface EndableStream {
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): void;
  cancel(): void;
}

/**
 * Ends a gRPC stream in a task of its own, never inside a promise
 * continuation: those may run inside node's HTTP/2 stream-close callback, and
 * resetting another stream of the same session from there sends node 20's
 * HTTP/2 layer into an endless loop that fills memory (seen closing several
 * coordinators at once). Half-closed first: etcd3 blames the host for errors
 * on a stream that is still writable.
 */
export function endSoon(stream: EndableStream, scheduler: SchedulerLike): void {
  stream.on('error', () => undefined);
  scheduler.schedule(() => {
    stream.end();
    stream.cancel();
  }, 0);
}
