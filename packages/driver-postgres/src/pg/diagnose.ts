import type { DriverDiagnosis } from '@tooz/core/driver';
import type { PgConnection } from './connection.js';
import type { Timeouts } from './timeouts.js';

/** Settings read from pg_settings in their base unit (ms), NULL where the server has no such setting. */
const DIAGNOSIS = `
SELECT current_setting('server_version') AS version,
       pg_is_in_recovery() AS standby,
       pg_backend_pid() AS pid,
       inet_server_addr() IS NULL AS unix_socket,
       (SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'tcp_user_timeout') AS tcp_user_timeout,
       (SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'idle_session_timeout') AS idle_session_timeout,
       (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`;

/**
 * What `tooz doctor` shows for PostgreSQL, read on the session connection
 * (the one holding the advisory locks): version, role, the server side of
 * the session timeout, and the clock offset, with a warning for each thing
 * that breaks the driver's liveness:
 * - a standby refuses every write;
 * - a pooler in transaction or statement mode hands the connection's
 *   statements to other server sessions (the backend pid changed), so
 *   advisory locks are taken and released by sessions the driver does not own;
 * - a server that did not apply `tcp_user_timeout` keeps a partitioned
 *   holder's session, and its locks, until TCP gives up (hours by default);
 * - an `idle_session_timeout` no longer than the keepalive interval ends
 *   idle sessions, and their locks, between two keepalives.
 */
export async function diagnosePostgres(session: PgConnection, timeouts: Timeouts): Promise<DriverDiagnosis> {
  // Wall clocks on purpose: the offset between the two clocks is what is measured, not a deadline.
  const sent = Date.now();
  const [row = {}] = await session.query(DIAGNOSIS);
  const received = Date.now();
  const tcpUserTimeout = Number(row['tcp_user_timeout'] ?? 0);
  const idleSessionTimeout = row['idle_session_timeout'] === null ? undefined : Number(row['idle_session_timeout']);
  const warnings: string[] = [];
  if (row['standby'] === true) warnings.push('connected to a standby, which refuses every write: use the primary');
  if (Number(row['pid']) !== session.pid) {
    warnings.push(
      `the session connection's server process changed (pid ${session.pid}, now ${String(row['pid'])}): ` +
        'a pooler in transaction or statement mode sits in between, and advisory locks need session pooling or a direct connection',
    );
  }
  if (row['unix_socket'] !== true && tcpUserTimeout !== Math.ceil(timeouts.sessionTimeout)) {
    warnings.push(
      `the server did not apply tcp_user_timeout=${Math.ceil(timeouts.sessionTimeout)} (it reads ${tcpUserTimeout} ms): ` +
        "a holder cut off by a partition keeps its locks on the server until TCP gives up, after the driver's own deadline",
    );
  }
  if (idleSessionTimeout !== undefined && idleSessionTimeout > 0 && idleSessionTimeout <= timeouts.keepaliveInterval) {
    warnings.push(
      `idle_session_timeout (${idleSessionTimeout} ms) is not longer than the keepalive interval ` +
        `(${timeouts.keepaliveInterval} ms): the server ends idle sessions, and their locks, between keepalives`,
    );
  }
  const server: Record<string, string | number | boolean> = {
    version: String(row['version']),
    role: row['standby'] === true ? 'standby' : 'primary',
    sessionPid: Number(row['pid']),
    tcpUserTimeoutMs: tcpUserTimeout,
    clockOffsetMs: Math.round(Number(row['now_ms']) - (sent + received) / 2),
    clockOffsetUncertaintyMs: Math.ceil((received - sent) / 2),
  };
  if (idleSessionTimeout !== undefined) server['idleSessionTimeoutMs'] = idleSessionTimeout;
  return { server, warnings };
}
