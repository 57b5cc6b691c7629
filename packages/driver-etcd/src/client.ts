import { Etcd3, type IOptions } from 'etcd3';
import type { SchedulerLike } from 'rxjs';
import { faultHandling } from './failover.js';
import type { ResolvedOptions } from './options.js';

/** An etcd3 client for one session: its own connections, closed with the session. */
export function createClient(options: ResolvedOptions, scheduler: SchedulerLike): Etcd3 {
  const config: IOptions = {
    hosts: [...options.hosts],
    faultHandling: faultHandling(options.hosts, scheduler),
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
  if (options.credentials) config.credentials = options.credentials;
  if (options.auth) config.auth = { username: options.auth.username, password: options.auth.password };
  return new Etcd3(config);
}
