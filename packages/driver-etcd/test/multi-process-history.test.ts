/**
 * The etcd driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the TTL, a
 * restart keeping the data, then real partitions of the holder's and the
 * leader's hosts; its doc comment says what each must show).
 *
 * Liveness is the session lease (one per coordinator; every queue entry and
 * leader seat hangs on it). A holder stopped past the TTL sends no
 * keep-alive, etcd expires its lease and deletes its entries, and the next in
 * the queue holds the lock (or the seat) with a greater revision as its
 * token; a partitioned one's keep-alives go unanswered, and its deadline (the
 * last confirmed keep-alive's send plus 0.9 × TTL, evaluated by core at every
 * read) passes before the lease can expire. The restart keeps every key,
 * lease and the revision counter (the WAL); keep-alives fail meanwhile, so
 * holders turn `at-risk` and, if the restart outlasts the deadline, are told
 * `lost` and get a new lease. Tokens are revisions, which a restart never
 * sets back. etcd does not lose its data on a restart (nor on a kill: the WAL
 * is written before the answer), so there is no case here in which the token
 * would be the only safety net; no count is allowed.
 */
import { fileURLToPath } from 'node:url';
import { startEtcd } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';

historyFaultTests('etcd', {
  // The workers load @tooz/driver-etcd (for `etcd://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  ttl: 1_000,
  // The WAL keeps everything through the restart.
  start: () => startEtcd(),
  startInNetns: (netns) => startEtcd({ netns }),
  stoppedHolder: 'others-take-over',
});
