import { ToozError } from './tooz-error.js';

/** Why a held thing stopped being held. */
export type LossReason =
  | 'expired' // TTL passed without a confirmed refresh, or the backend said the key is gone
  | 'session-lost' // the backend session ended (zk expiry, lease revoked, connection lost for good)
  | 'stolen'; // someone else now holds it (break, another token)
// (Closing the coordinator is no loss: see CoordinatorClosedError.)

export class LockLostError extends ToozError {
  constructor(
    readonly lockName: string,
    readonly reason: LossReason,
    options?: { cause?: unknown },
  ) {
    super('LOCK_LOST', `Lock "${lockName}" was lost (${reason})`, options);
  }
}

export class LockTimeoutError extends ToozError {
  constructor(
    readonly lockName: string,
    readonly waitedMs: number,
  ) {
    super('LOCK_TIMEOUT', `Lock "${lockName}" was not acquired within ${waitedMs} ms`);
  }
}

export class MembershipLostError extends ToozError {
  constructor(
    readonly groupId: string,
    readonly memberId: string,
    readonly reason: LossReason,
    options?: { cause?: unknown },
  ) {
    super('MEMBERSHIP_LOST', `Member "${memberId}" lost its membership of group "${groupId}" (${reason})`, options);
  }
}

export class GroupNotFoundError extends ToozError {
  constructor(readonly groupId: string) {
    super('GROUP_NOT_FOUND', `Group "${groupId}" does not exist (create it first: coordinator.group(id).create())`);
  }
}

export class GroupAlreadyExistsError extends ToozError {
  constructor(readonly groupId: string) {
    super('GROUP_ALREADY_EXISTS', `Group "${groupId}" already exists`);
  }
}

export class GroupNotEmptyError extends ToozError {
  constructor(readonly groupId: string) {
    super('GROUP_NOT_EMPTY', `Group "${groupId}" is not empty`);
  }
}

export class MemberAlreadyJoinedError extends ToozError {
  constructor(
    readonly groupId: string,
    readonly memberId: string,
  ) {
    super('MEMBER_ALREADY_JOINED', `Member "${memberId}" has already joined group "${groupId}"`);
  }
}

export class MemberNotJoinedError extends ToozError {
  constructor(
    readonly groupId: string,
    readonly memberId: string,
  ) {
    super('MEMBER_NOT_JOINED', `Member "${memberId}" has not joined group "${groupId}"`);
  }
}

export type Primitive = 'groups' | 'leadership' | 'locks' | 'fencing';

export class NotSupportedError extends ToozError {
  constructor(
    readonly driver: string,
    readonly primitive: Primitive | string,
    readonly supportedBy: readonly string[],
  ) {
    const alternatives = supportedBy.length > 0 ? `; drivers that support it: ${supportedBy.join(', ')}` : '';
    super('NOT_SUPPORTED', `The ${driver} driver does not support ${primitive}${alternatives}`);
  }
}

export class InvalidArgumentError extends ToozError {
  constructor(
    /** Dotted path of the offending field, e.g. `options.ttl` or `memberId`. */
    readonly field: string,
    reason: string,
  ) {
    super('INVALID_ARGUMENT', `Invalid ${field}: ${reason}`);
  }
}

/**
 * The backend could not be reached or refused us. `retryable` tells whether
 * trying again later may succeed (a dropped socket) or not (bad credentials).
 */
export class ConnectionError extends ToozError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('CONNECTION', message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/**
 * The coordinator was closed: the user's own act, never a loss. It is the
 * abort reason of a lease's `signal` when `close()` ends the hold, and the
 * rejection of an `acquire()` still waiting then.
 */
export class CoordinatorClosedError extends ConnectionError {
  constructor() {
    super('The coordinator was closed', { retryable: false });
  }
}

export class UnknownNodeError extends ToozError {
  constructor(readonly node: string) {
    super('UNKNOWN_NODE', `Unknown node "${node}"`);
  }
}

/** Errors worth retrying inside a wait or a keep-alive; everything else is final. */
export function isRetryable(error: unknown): boolean {
  // Through the brand: a ConnectionError from another copy of @tooz/core is still one.
  return error instanceof ConnectionError && error.retryable === true;
}
