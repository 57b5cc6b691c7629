import { InvalidArgumentError } from '@tooz/core/driver';

/**
 * Every timeout of a coordinator's connections, derived from one number,
 * the session timeout T (default: the coordinator's `ttl`), so that the
 * client always gives a silent session up *before* the server can end it
 * and hand its locks to someone else.
 *
 * - The server ends a session whose client went silent (a partition: no
 *   FIN, no RST) through the TCP settings the driver asks for at startup:
 *   `tcp_user_timeout` = T, so its kernel gives up T after it last heard
 *   from the client (or after sending data the client never acknowledged),
 *   at the first keepalive probe or retransmission after that; never
 *   sooner. Every statement the client sends is heard before it is
 *   answered, so the earliest end of the session is the send of the last
 *   answered statement, S, plus T.
 * - The client counts from S too: its session is proven alive until
 *   S + T - M, the margin M being a tenth of T (as core's margin for TTL
 *   holds). At that deadline the connection is given up and the
 *   coordinator told `lost`, M before the server can end the session: M
 *   covers the one-way network delay and the client's own timer lateness.
 *   A process stalled longer than M (a GC pause, SIGSTOP) learns of its
 *   loss through `sessionDeadline()`, which core reads on every
 *   synchronous "do you hold it"; beyond that, the fencing token.
 * - An idle connection proves itself with `SELECT 1` every
 *   `keepaliveInterval`, at most a quarter of T - M by default (so a
 *   healthy idle session renews its proof long before the deadline); a
 *   reply `keepaliveTimeout` overdue (at most half of T - M by default)
 *   makes the coordinator `suspended`, which must come before the deadline.
 */
export interface Timeouts {
  /** T: the server ends a silent session this long after it last heard from the client. */
  readonly sessionTimeout: number;
  /** M: the client gives the session up this long before the server can. */
  readonly margin: number;
  readonly keepaliveInterval: number;
  readonly keepaliveTimeout: number;
}

/** The margin for a session timeout: a tenth, as core's for TTL holds. */
export function sessionMargin(sessionTimeout: number): number {
  return Math.max(1, Math.floor(sessionTimeout / 10));
}

const DEFAULT_KEEPALIVE_INTERVAL = 1_000;
const DEFAULT_KEEPALIVE_TIMEOUT = 2_000;

/** Why the keepalive settings cannot work with this session timeout, by field; empty when they can. */
export function timeoutProblems(
  sessionTimeout: number,
  keepaliveInterval: number | undefined,
  keepaliveTimeout: number | undefined,
): { field: 'keepaliveInterval' | 'keepaliveTimeout'; message: string }[] {
  const span = sessionTimeout - sessionMargin(sessionTimeout);
  const problems: { field: 'keepaliveInterval' | 'keepaliveTimeout'; message: string }[] = [];
  if (keepaliveTimeout !== undefined && keepaliveTimeout >= span) {
    problems.push({
      field: 'keepaliveTimeout',
      message: `must be less than the session timeout minus its margin (${span} ms): suspended comes before lost`,
    });
  }
  if (keepaliveInterval !== undefined && keepaliveInterval * 2 > span) {
    problems.push({
      field: 'keepaliveInterval',
      message: `must be at most half the session timeout minus its margin (${Math.floor(span / 2)} ms): an idle session must prove itself before its deadline`,
    });
  }
  return problems;
}

/** Resolves the timeouts of a session; throws InvalidArgumentError when they contradict each other. */
export function resolveTimeouts(
  given: {
    sessionTimeout?: number | undefined;
    keepaliveInterval?: number | undefined;
    keepaliveTimeout?: number | undefined;
  },
  ttl: number,
): Timeouts {
  const sessionTimeout = given.sessionTimeout ?? ttl;
  const [problem] = timeoutProblems(sessionTimeout, given.keepaliveInterval, given.keepaliveTimeout);
  if (problem) throw new InvalidArgumentError(`options.${problem.field}`, problem.message);
  const margin = sessionMargin(sessionTimeout);
  const span = sessionTimeout - margin;
  return {
    sessionTimeout,
    margin,
    keepaliveInterval:
      given.keepaliveInterval ?? Math.max(1, Math.min(DEFAULT_KEEPALIVE_INTERVAL, Math.floor(span / 4))),
    keepaliveTimeout: given.keepaliveTimeout ?? Math.max(1, Math.min(DEFAULT_KEEPALIVE_TIMEOUT, Math.floor(span / 2))),
  };
}

/**
 * The server settings asked for at startup (libpq's `options`): the server
 * ends a silent session no sooner than T after it last heard from the client
 * (`tcp_user_timeout`, in ms), and not much later either: keepalive probes
 * every ceil(T/3) s (whole seconds: the server's unit) are where its kernel
 * checks. On a server without TCP_USER_TIMEOUT the three probes alone end
 * the session, at 4 × ceil(T/3) s, later still.
 */
export function serverTimeoutOptions(sessionTimeout: number): string {
  const seconds = Math.max(1, Math.ceil(sessionTimeout / 3_000));
  return [
    `-c tcp_keepalives_idle=${seconds}`,
    `-c tcp_keepalives_interval=${seconds}`,
    '-c tcp_keepalives_count=3',
    `-c tcp_user_timeout=${Math.ceil(sessionTimeout)}`,
  ].join(' ');
}
