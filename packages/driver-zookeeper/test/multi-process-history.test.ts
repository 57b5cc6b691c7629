/**
 * The zookeeper driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the session
 * timeout, a restart keeping the data, then real partitions of the holder's
 * and the leader's hosts; its doc comment says what each must show).
 *
 * Liveness is the session. A holder stopped past the session timeout sends
 * no heartbeat, ZooKeeper expires its session and deletes its ephemeral
 * nodes, and the next in the queue holds the lock (or the seat) with a
 * greater creation zxid as its token; a partitioned one's heartbeats go
 * unanswered, and its session deadline (the last answered request's send
 * plus the timeout minus 10 %, exposed by the driver and evaluated by core at
 * every read) passes before the server can expire the session. The restart
 * keeps every node and session (the log and snapshots): connections drop, so
 * holders turn `at-risk` and, once the restart outlasts the deadline, are
 * told `lost` and open a new session; the old session's nodes linger on the
 * restarted server until it expires them, so nobody acquires past them
 * before then. Tokens are zxids, which a restart never sets back. ZooKeeper
 * does not lose its data on a restart (the transaction log is written before
 * the answer), so there is no case here in which the token would be the only
 * safety net; no count is allowed.
 */
import { fileURLToPath } from 'node:url';
import { startZookeeper } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';

historyFaultTests('zookeeper', {
  // The workers load @tooz/driver-zookeeper (for `zookeeper://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  // The session timeout: the fixture's minSessionTimeout (ZooKeeper clamps what a client asks for to
  // minSessionTimeout..maxSessionTimeout; the fixture sets 1000..60000 ms with a 500 ms tick, so a
  // session expires between 1 and 1.5 s after its last heartbeat).
  ttl: 1_000,
  // Its log and snapshots keep every node and session through the restart.
  start: () => startZookeeper(),
  startInNetns: (netns) => startZookeeper({ netns }),
  stoppedHolder: 'others-take-over',
  // Longer than on redis or etcd: a JVM restarts in seconds, and the workers must run on well past it.
  restartRun: 18_000,
});
