/**
 * The mysql driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the session
 * timeout, a restart keeping the tables, then real partitions of the
 * holder's and the leader's hosts; its doc comment says what each must show).
 *
 * Liveness is the database session, and unlike PostgreSQL's TCP timeouts
 * MySQL's `wait_timeout` is the server's own idle timer: it ends a stopped
 * process's session as it ends a partitioned one's, whatever its kernel
 * answers. So the others take over what a stopped worker held
 * (`others-take-over`); once continued, its first read finds its session
 * deadline (the send of its last answered statement plus T minus 10 %, T
 * being `wait_timeout`) passed and it is told `lost` before it writes.
 * A restart ends every session (holders told at once); the counters are
 * InnoDB rows and survive it, so tokens never go back.
 */
import { fileURLToPath } from 'node:url';
import { startMysql } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';
import { startMysqlInNetns } from './support/netns-mysql.js';

historyFaultTests('mysql', {
  // The workers load @tooz/driver-mysql (for `mysql://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  // Core's `ttl`: the session timeout, so `wait_timeout` = 1 s.
  ttl: 1_000,
  start: () => startMysql(),
  startInNetns: (netns) => startMysqlInNetns(netns),
  stoppedHolder: 'others-take-over',
});
