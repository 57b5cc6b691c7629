/**
 * The consul driver's multi-process fault tests: @tooz/testing's
 * `historyFaultTests` (a holder and a leader SIGSTOPped past the TTL, a
 * restart keeping the data, then real partitions of the holder's and the
 * leader's hosts; its doc comment says what each must show), against the
 * compatible server with sessions invalidated at 1x TTL (1 s).
 *
 * Liveness is the coordinator's Consul sessions: a stopped holder cannot
 * renew them, the server invalidates them after the TTL and releases the
 * lock (and the leader seat), and another worker takes it with a greater
 * token (a ModifyIndex). Core's deadline counts from the send of the last
 * confirmed renew, so the stopped worker, once continued, reads `lost`
 * before it writes. `restart({ keepState: true })` keeps keys and sessions
 * (the Raft log) and restarts every TTL timer, as a new Consul leader does;
 * the connections drop, holders turn `at-risk`, then `held` again.
 *
 * The stop-and-restart test runs the server in this test process and the
 * workers connect to it by URL over loopback. The partition test cannot do
 * that (this process is outside the network namespace), so it runs the same
 * server in a process of its own inside the namespace
 * (`support/netns-consul.ts`), where a partition drops its packets for real.
 */
import { fileURLToPath } from 'node:url';
import { startConsul } from '@tooz/testing';
import { historyFaultTests } from '@tooz/testing/conformance';
import { startConsulInNetns } from './support/netns-consul.js';

historyFaultTests('consul', {
  // The workers load @tooz/driver-consul (for `consul://`) from this package's directory.
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  ttl: 1_000,
  start: async () => {
    const server = await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
    return { url: server.url, restart: () => server.restart({ keepState: true }), [Symbol.asyncDispose]: server.close };
  },
  startInNetns: startConsulInNetns,
  stoppedHolder: 'others-take-over',
});
