import { ConnectionError, ToozError } from '@tooz/core/driver';
import { Exception } from 'node-zookeeper-client';

/** The ZooKeeper error code of a client error, if it has one. */
export function zkCode(error: unknown): number | undefined {
  if (error instanceof SessionGoneError) return Exception.SESSION_EXPIRED;
  const getCode = (error as { getCode?: unknown } | null)?.getCode;
  return typeof getCode === 'function' ? (getCode.call(error) as number) : undefined;
}

/** A request to a client whose session the driver has given up: its nodes are gone. */
export class SessionGoneError extends Error {
  constructor() {
    super('the ZooKeeper session this request belonged to has ended');
    this.name = 'SessionGoneError';
  }
}

/** Errors after which the request may or may not have been applied, and the connection must recover first. */
export function isConnectionFailure(error: unknown): boolean {
  const code = zkCode(error);
  return code === Exception.CONNECTION_LOSS || code === Exception.SESSION_EXPIRED;
}

export function isSessionGone(error: unknown): boolean {
  return zkCode(error) === Exception.SESSION_EXPIRED;
}

const ACCESS_DENIED = new Set([Exception.NO_AUTH, Exception.AUTH_FAILED, Exception.INVALID_ACL]);
const TRANSIENT = new Set([Exception.CONNECTION_LOSS, Exception.SESSION_EXPIRED, Exception.OPERATION_TIMEOUT]);

/**
 * The one place raw client errors become core's typed errors. Callers map
 * the codes that mean something for their operation (NO_NODE, NODE_EXISTS)
 * first; whatever is left is a transport problem or a refusal.
 */
export function toToozError(error: unknown, path?: string): unknown {
  if (error instanceof ToozError) return error;
  const code = zkCode(error);
  const where = path === undefined ? '' : ` at ${path}`;
  if (code !== undefined && ACCESS_DENIED.has(code)) {
    return new ConnectionError(
      `ZooKeeper denied access${where} (${codeName(code)}): check the digest credentials and the nodes' ACLs`,
      { retryable: false, cause: error },
    );
  }
  if (code !== undefined && TRANSIENT.has(code)) {
    return new ConnectionError(`ZooKeeper request failed${where} (${codeName(code)})`, { cause: error });
  }
  if (code !== undefined) {
    return new ConnectionError(`ZooKeeper refused the request${where} (${codeName(code)})`, {
      retryable: false,
      cause: error,
    });
  }
  return new ConnectionError(`ZooKeeper client failed${where}`, { retryable: false, cause: error });
}

function codeName(code: number): string {
  for (const [name, value] of Object.entries(Exception)) if (value === code) return name;
  return `error ${code}`;
}
