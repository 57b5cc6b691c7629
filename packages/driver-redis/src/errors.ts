import {
  ConnectionError,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
  ToozError,
} from '@tooz/core/driver';
import { ReturnCode } from './codes.js';

/** The one place script return codes become tooz errors. */
export function codeError(code: unknown, subject: { group?: string; member?: string }, script: string): ToozError {
  const group = subject.group ?? '';
  const member = subject.member ?? '';
  switch (code) {
    case ReturnCode.GROUP_NOT_FOUND:
      return new GroupNotFoundError(group);
    case ReturnCode.GROUP_EXISTS:
      return new GroupAlreadyExistsError(group);
    case ReturnCode.GROUP_NOT_EMPTY:
      return new GroupNotEmptyError(group);
    case ReturnCode.MEMBER_EXISTS:
      return new MemberAlreadyJoinedError(group, member);
    case ReturnCode.MEMBER_NOT_FOUND:
      return new MemberNotJoinedError(group, member);
    default:
      return new ConnectionError(`Redis script ${script} answered an unexpected code ${String(code)}`, {
        retryable: false,
      });
  }
}

/**
 * Fewer replicas acknowledged a write than `waitReplicas` asks for (Redis
 * WAIT), so what it established was given back. Final when the server has
 * fewer replicas connected than asked (a standalone Redis has none): no retry
 * within a wait can succeed until replicas are added. `connected` is unknown
 * for refreshes, which stay retryable: the hold lasts until its deadline.
 */
export class ReplicationError extends ConnectionError {
  constructor(
    /** What was not replicated: `acquire`, `join`, `refresh`... */
    readonly write: string,
    /** `waitReplicas`: the replicas that had to acknowledge the write. */
    readonly asked: number,
    /** The replicas that did, within `waitReplicasTimeout`. */
    readonly acknowledged: number,
    timeout: number,
    /** Replicas connected to the server (its INFO), when it was asked. */
    readonly connected?: number,
  ) {
    const who = acknowledged === 0 ? 'no replica' : `only ${acknowledged} replica(s)`;
    const why =
      connected === undefined || connected >= asked
        ? ''
        : connected === 0
          ? ': the server has no replica connected (a standalone Redis cannot satisfy it: set waitReplicas to 0, or add replicas)'
          : `: the server has only ${connected} replica(s) connected`;
    super(`waitReplicas is ${asked}, but ${who} acknowledged the ${write} within ${timeout} ms${why}`, {
      retryable: connected === undefined || connected >= asked,
    });
  }
}

/** Redis replies that mean the credentials or the ACL refuse us: retrying will not help. */
const REFUSED = /^(WRONGPASS|NOAUTH|NOPERM)\b/;
/** Replies that pass: a failover or a restart in progress. */
const TRANSIENT = /^(READONLY|LOADING|MASTERDOWN|TRYAGAIN|BUSY|CLUSTERDOWN|OOM)\b/;

const isRefusal = (error: unknown): boolean => error instanceof Error && REFUSED.test(error.message);

/**
 * The one place ioredis errors become tooz errors. Only the server's reply
 * text is kept: ioredis attaches the command's arguments to its errors, and
 * for AUTH and HELLO those hold the password.
 */
export function toToozError(error: unknown, what = 'Redis call'): ToozError {
  if (error instanceof ToozError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (REFUSED.test(message)) {
    return new ConnectionError(`${what} refused by Redis: ${firstLine(message)}`, { retryable: false });
  }
  if (/^ERR .*(script|Lua)/i.test(message)) {
    return new ConnectionError(`${what} failed in a Lua script: ${firstLine(message)}`, { retryable: false });
  }
  const retryable = TRANSIENT.test(message) || !/^[A-Z]+ /.test(message) || /^ERR max/.test(message);
  return new ConnectionError(`${what} failed: ${firstLine(message)}`, { retryable, cause: new Error(message) });
}

/** An error at connect: refused credentials are named as such and never retried. */
export function openError(error: unknown, where: string): ToozError {
  if (error instanceof ToozError) return error;
  const message = firstLine(error instanceof Error ? error.message : String(error));
  if (isRefusal(error)) {
    // The server's words only: never ioredis' error object, whose command arguments hold the password.
    return new ConnectionError(`Redis at ${where} refused the credentials: ${message}`, { retryable: false });
  }
  return new ConnectionError(`Could not connect to Redis at ${where}: ${message}`);
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
