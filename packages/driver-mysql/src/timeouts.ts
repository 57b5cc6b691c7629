import { InvalidArgumentError } from '@tooz/core/driver';

/**
 * Every timeout of the session connection, derived from one number, the
 * session timeout T (default: the coordinator's `ttl`), so that the client
 * always gives a silent session up *before* the server can end it and free
 * its GET_LOCKs for someone else.
 *
 * - The server ends a session whose client went silent when `wait_timeout`
 *   runs out while it waits for the next command, counted from when it
 *   answered the last one. The driver sets it (and `net_read_timeout`,
 *   `net_write_timeout`, which bound a half-read command and a half-written
 *   answer) to T rounded up to whole seconds. The server heard every
 *   answered command before it answered, so it cannot end the session before
 *   the send of the last answered command, S, plus T.
 * - The client counts from S too: its session is proven alive until
 *   S + T - M, M being a tenth of T (as core's margin for TTL holds). There
 *   the connection is dropped and the coordinator told `lost`, M before the
 *   server can free anything: M covers one-way delay and timer lateness. A
 *   process stalled longer (GC pause, SIGSTOP) learns of it through
 *   `sessionDeadline()`, which core reads on every "do you hold it".
 * - An idle connection pings every `keepaliveInterval` (at most a quarter of
 *   T - M), so a healthy session renews its proof long before the deadline;
 *   a reply `keepaliveTimeout` overdue (at most half of T - M) makes the
 *   coordinator `suspended`, which comes before the deadline.
 */
export interface Timeouts {
  readonly sessionTimeout: number;
  readonly margin: number;
  readonly keepaliveInterval: number;
  readonly keepaliveTimeout: number;
  /** T in whole seconds, for the server's variables. */
  readonly serverSeconds: number;
}

export function resolveTimeouts(
  given: {
    sessionTimeout?: number | undefined;
    keepaliveInterval?: number | undefined;
    keepaliveTimeout?: number | undefined;
  },
  ttl: number,
): Timeouts {
  const sessionTimeout = Math.max(1_000, given.sessionTimeout ?? ttl);
  const margin = Math.max(1, Math.floor(sessionTimeout / 10));
  const span = sessionTimeout - margin;
  if (given.keepaliveTimeout !== undefined && given.keepaliveTimeout >= span) {
    throw new InvalidArgumentError(
      'options.keepaliveTimeout',
      `must be less than the session timeout minus its margin (${span} ms): suspended comes before lost`,
    );
  }
  if (given.keepaliveInterval !== undefined && given.keepaliveInterval * 2 > span) {
    throw new InvalidArgumentError(
      'options.keepaliveInterval',
      `must be at most half the session timeout minus its margin (${Math.floor(span / 2)} ms)`,
    );
  }
  return {
    sessionTimeout,
    margin,
    keepaliveInterval: given.keepaliveInterval ?? Math.max(1, Math.min(1_000, Math.floor(span / 4))),
    keepaliveTimeout: given.keepaliveTimeout ?? Math.max(1, Math.min(2_000, Math.floor(span / 2))),
    serverSeconds: Math.ceil(sessionTimeout / 1_000),
  };
}
