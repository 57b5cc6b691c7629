/**
 * The memcached driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the TTL, a
 * server restart, then real partitions of the holder's and the leader's
 * hosts; its doc comment says what each must show).
 *
 * Liveness is the key's TTL: a stopped holder loses the lock (and the leader
 * its seat) while stopped, as the key expires and another worker takes it
 * with a greater token; a partitioned one's refreshes go unanswered, and its
 * local deadline passes before the key expires (memcached is asked to keep a
 * key ceil(ttl/1 s)+1 s, never less than the TTL).
 *
 * memcached keeps nothing across the restart, unlike the servers this test
 * was written for: the connection's close makes every hold `at-risk` at once
 * (workers stop writing), and `verify()` reports the new server process as
 * the loss of every hold before core says `reconnected`. Tokens keep rising
 * because the high half is the server process's start time. So the counts it
 * asserts (no unsignalled overlap, no stale write, no token regression) hold
 * here too.
 */
import { fileURLToPath } from 'node:url';
import { startMemcached } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';
import { startMemcachedInNetns } from './support/netns-memcached.js';

historyFaultTests('memcached', {
  // The workers load @tooz/driver-memcached (for `memcached://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  ttl: 1_000,
  start: () => startMemcached(),
  startInNetns: startMemcachedInNetns,
  stoppedHolder: 'others-take-over',
});
