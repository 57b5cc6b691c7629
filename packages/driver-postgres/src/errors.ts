import { ConnectionError, isToozError } from '@tooz/core/driver';

/**
 * SQLSTATE classes and codes worth retrying: the connection or the server
 * went away, the server is starting or overloaded, the lock table is full.
 */
const RETRYABLE_CLASSES = ['08', '53', '57', '58'];
const RETRYABLE_CODES = new Set(['40001', '40P01', '55P03']);
/** Refused for good: bad credentials, unknown database or role, no privilege. */
const REFUSED_CODES = new Set(['28000', '28P01', '3D000', '42501', '42939']);
/** Node socket and TLS failures that retrying cannot fix (a certificate mismatch). */
const TLS_REFUSALS =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|does not support SSL|SSL off|no pg_hba\.conf entry/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether a failure means the connection itself is gone (as opposed to one statement failing). */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  if (code && /^(08|57P0)/.test(code)) return true;
  if (code && /^E[A-Z]+$/.test(code)) return true; // ECONNRESET, EPIPE, ETIMEDOUT...
  return /Connection terminated|not queryable|Client was closed|connection error/i.test(messageOf(error));
}

/**
 * Turns whatever pg threw into a ToozError: ConnectionError, retryable unless
 * retrying cannot help. Messages are pg's own (they never contain the
 * password) and pass through core's redaction anyway.
 */
export function toToozError(error: unknown, doing: string): Error {
  if (isToozError(error)) return error;
  const code = codeOf(error);
  const message = messageOf(error);
  const refused =
    (code !== undefined && REFUSED_CODES.has(code)) ||
    TLS_REFUSALS.test(message) ||
    (code !== undefined && TLS_REFUSALS.test(code));
  const retryable =
    !refused &&
    (isConnectionFailure(error) ||
      (code !== undefined && (RETRYABLE_CODES.has(code) || RETRYABLE_CLASSES.includes(code.slice(0, 2)))));
  const detail = code && !/^E[A-Z]+$/.test(code) ? ` [SQLSTATE ${code}]` : '';
  return new ConnectionError(`PostgreSQL: ${doing} failed: ${message}${detail}`, { cause: error, retryable });
}

/** The error every call gets while its connection is down; core retries it. */
export function notConnected(what: string): ConnectionError {
  return new ConnectionError(`PostgreSQL: the ${what} connection is down; reconnecting`, { retryable: true });
}
