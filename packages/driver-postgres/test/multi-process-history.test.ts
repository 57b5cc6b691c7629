/**
 * The postgres driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the session
 * timeout, a restart keeping the tables, then real partitions of the
 * holder's and the leader's hosts; its doc comment says what each must show).
 *
 * Liveness is the database session (session-level advisory locks), not a
 * TTL. A stopped process's kernel still answers the server's TCP keepalives,
 * so the server keeps its session and its locks: the others wait (see
 * `stoppedHolder` below). Once continued, the stopped worker's first read
 * finds its session deadline (the send of its last answered statement plus
 * the session timeout minus 10 %) passed and is told `lost`; the driver then
 * ends the old server session before anyone else can take what it held.
 * Unlike a stopped process, a partitioned one's kernel answers nothing: the
 * server's `tcp_user_timeout` (the session timeout) and keepalive probes end
 * its session, so its advisory locks go and the others take the lock and the
 * seat while it is cut off, after it was told `lost` at its deadline.
 *
 * A restart ends every session: each holder's connection drops and it is
 * told `lost` at once, long before the restarted server can grant anything;
 * the advisory locks go with the sessions, while the counters (the tokens)
 * are rows and survive. PostgreSQL does not lose its committed data on a
 * restart (nor on a kill: crash recovery), so tokens never start again and
 * there is no case here in which the token would be the only safety net; no
 * count is allowed.
 */
import { fileURLToPath } from 'node:url';
import { startPostgres } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';

historyFaultTests('postgres', {
  // The workers load @tooz/driver-postgres (for `postgres://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  // Core's `ttl`: the session timeout (locks have no TTL here).
  ttl: 1_000,
  // Tables kept; sessions, so advisory locks, ended by the restart.
  start: () => startPostgres(),
  startInNetns: (netns) => startPostgres({ netns }),
  stoppedHolder: 'others-wait',
});
