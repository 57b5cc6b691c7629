/**
 * The redis driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the TTL, a
 * restart keeping the data, then real partitions of the holder's and the
 * leader's hosts; its doc comment says what each must show).
 *
 * Liveness is the key's TTL: a stopped holder loses the lock (and the leader
 * its seat) while stopped, as the key expires and another worker takes it
 * with a greater token; a partitioned one's refreshes go unanswered, and its
 * local deadline (the last confirmed refresh's send plus 0.9 TTL) passes
 * before the key expires. A restart with AOF (`appendfsync always`) keeps
 * every key and fencing counter: the connection's close makes every hold
 * `at-risk` at once, and after the restart the driver reads its holds back
 * before it says `reconnected`.
 *
 * After a restart that *loses* the data (persistence `none`, a failover to a
 * replica that missed the write) the token is the safety net: another client
 * may take the lock on the emptied server before the old holder has read its
 * holds back, so unsignalled overlaps (and the old holder's writes in that
 * window, stale writes) could then be counted, and a resource that remembers
 * the highest token refuses them; token regressions stay zero even then, as
 * tokens are at least the server's clock in µs. This test keeps the data, so
 * it allows none of them.
 */
import { fileURLToPath } from 'node:url';
import { startRedis } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';

historyFaultTests('redis', {
  // The workers load @tooz/driver-redis (for `redis://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  ttl: 1_000,
  // AOF: the data is kept through the restart.
  start: () => startRedis({ persistence: 'aof' }),
  startInNetns: (netns) => startRedis({ netns }),
  stoppedHolder: 'others-take-over',
});
