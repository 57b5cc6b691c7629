import { ToozError } from './tooz-error.js';

/** Why a held thing stopped being held. */
export type LossReason =
  | 'expired' // TTL passed without a confirmed refresh, or the backend said the key is gone
  | 'session-lost' // the backend session ended (zk expiry, lease revoked, connection lost for good)
  | 'stolen'; // someone else now holds it (break, another token)
// (Closing the coordinator is no loss: see CoordinatorClosedError.)

/**
 * A held lock stopped being held before it was released; `reason` tells why.
 * Emitted as the error of the lock's Observable.
 */
export class LockLostError extends ToozError {
  constructor(
    /** Name of the lock that was lost. */
    readonly lockName: string,
    /** Why it was lost. */
    readonly reason: LossReason,
    options?: { cause?: unknown },
  ) {
    super('LOCK_LOST', `Lock "${lockName}" was lost (${reason})`, options);
  }
}

/** A lock was not acquired within its `wait`. */
export class LockTimeoutError extends ToozError {
  constructor(
    /** Name of the lock that was waited for. */
    readonly lockName: string,
    /** How long the acquire waited, in milliseconds. */
    readonly waitedMs: number,
  ) {
    super('LOCK_TIMEOUT', `Lock "${lockName}" was not acquired within ${waitedMs} ms`);
  }
}

/**
 * A joined member stopped being a member without leaving; `reason` tells why.
 * Emitted as the error of the membership's Observable.
 */
export class MembershipLostError extends ToozError {
  constructor(
    /** The group the membership was in. */
    readonly groupId: string,
    /** The member that lost its membership. */
    readonly memberId: string,
    /** Why the membership ended. */
    readonly reason: LossReason,
    options?: { cause?: unknown },
  ) {
    super('MEMBERSHIP_LOST', `Member "${memberId}" lost its membership of group "${groupId}" (${reason})`, options);
  }
}

/** The group does not exist: create it with `coordinator.group(id).create()` first. */
export class GroupNotFoundError extends ToozError {
  constructor(
    /** The group that does not exist. */
    readonly groupId: string,
  ) {
    super('GROUP_NOT_FOUND', `Group "${groupId}" does not exist (create it first: coordinator.group(id).create())`);
  }
}

/** `create()` found the group already there. */
export class GroupAlreadyExistsError extends ToozError {
  constructor(
    /** The group that already exists. */
    readonly groupId: string,
  ) {
    super('GROUP_ALREADY_EXISTS', `Group "${groupId}" already exists`);
  }
}

/** `delete()` refused a group that still has members. */
export class GroupNotEmptyError extends ToozError {
  constructor(
    /** The group that still has members. */
    readonly groupId: string,
  ) {
    super('GROUP_NOT_EMPTY', `Group "${groupId}" is not empty`);
  }
}

/** This member id is already in the group (another coordinator with the same `memberId`, or a second join). */
export class MemberAlreadyJoinedError extends ToozError {
  constructor(
    /** The group joined. */
    readonly groupId: string,
    /** The member id already present in it. */
    readonly memberId: string,
  ) {
    super('MEMBER_ALREADY_JOINED', `Member "${memberId}" has already joined group "${groupId}"`);
  }
}

/** The operation needs a membership (updating capabilities, leaving) that this member does not have. */
export class MemberNotJoinedError extends ToozError {
  constructor(
    /** The group concerned. */
    readonly groupId: string,
    /** The member that has not joined it. */
    readonly memberId: string,
  ) {
    super('MEMBER_NOT_JOINED', `Member "${memberId}" has not joined group "${groupId}"`);
  }
}

/** A primitive a driver may lack; see {@link NotSupportedError}. */
export type Primitive = 'groups' | 'leadership' | 'locks' | 'fencing';

/** The driver lacks the primitive asked for; `supportedBy` names drivers that have it. */
export class NotSupportedError extends ToozError {
  constructor(
    /** Name of the driver (`redis`, `file`...). */
    readonly driver: string,
    /** What was asked for: a {@link Primitive} or a narrower feature. */
    readonly primitive: Primitive | string,
    /** Names of the drivers that do support it (may be empty). */
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
  /**
   * Whether trying again later may succeed (`true` by default; `false` for bad credentials, TLS or configuration
   * errors).
   */
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

/** A hash ring was asked about a node it does not contain. */
export class UnknownNodeError extends ToozError {
  constructor(
    /** The node asked about. */
    readonly node: string,
  ) {
    super('UNKNOWN_NODE', `Unknown node "${node}"`);
  }
}

/** Errors worth retrying inside a wait or a keep-alive; everything else is final. */
export function isRetryable(error: unknown): boolean {
  // Through the brand: a ConnectionError from another copy of @tooz/core is still one.
  return error instanceof ConnectionError && error.retryable === true;
}
