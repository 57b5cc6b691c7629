import { ConnectionError, isToozError } from '@tooz/core/driver';

/** Refused for good: credentials, unknown database, missing privilege, TLS required or refused. */
const REFUSED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'HANDSHAKE_SSL_ERROR',
]);
const TLS_REFUSAL = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|altnames|SSL/i;

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Whether the connection itself is gone (as opposed to one statement failing). */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  if ((error as { fatal?: unknown } | null)?.fatal === true) return true;
  return code !== undefined && /^(E[A-Z]+|PROTOCOL_.*|ER_CONNECTION_KILLED|ER_SERVER_SHUTDOWN|ER_NET_.*)$/.test(code);
}

/**
 * Whatever mysql2 threw, as a ToozError: a ConnectionError, retryable
 * unless retrying cannot help. mysql2's messages never hold the password,
 * and core redacts registered secrets anyway.
 */
export function toToozError(error: unknown, doing: string): Error {
  if (isToozError(error)) return error;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const refused = (code !== undefined && REFUSED.has(code)) || TLS_REFUSAL.test(`${code ?? ''} ${message}`);
  const detail = code && !/^E[A-Z]+$/.test(code) ? ` [${code}]` : '';
  return new ConnectionError(`MySQL: ${doing} failed: ${message}${detail}`, { cause: error, retryable: !refused });
}

/** What every call gets while the session connection is down; core retries it. */
export function notConnected(): ConnectionError {
  return new ConnectionError('MySQL: the session connection is down; reconnecting', { retryable: true });
}
