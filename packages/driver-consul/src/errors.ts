import { ConnectionError, isToozError } from '@tooz/core/driver';

/** TLS failures that no retry can cure: the server's certificate is not one we trust. */
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME/;

/** Anything that is not already a tooz error is the transport failing: retryable unless it is TLS trust. */
export function toToozError(error: unknown, what: string): Error {
  if (isToozError(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return new ConnectionError(`consul ${what}: the agent's TLS certificate is not trusted (${code})`, {
      cause: error,
      retryable: false,
    });
  }
  return new ConnectionError(`consul ${what} failed`, { cause: error });
}

/**
 * An HTTP status Consul answered with, as a tooz error. 403 is the ACL
 * system: "ACL not found" (a token Consul does not know), "Permission
 * denied" (no token, or one without the right); final, since retrying
 * cannot change a token. Consul's messages never quote the token.
 */
export function statusError(status: number, text: string, what: string): ConnectionError {
  const said = text.trim().slice(0, 200);
  if (status === 403) {
    const why = /ACL not found/i.test(said)
      ? 'the ACL token was refused (Consul does not know it)'
      : 'permission denied: the ACL token is missing or lacks the right';
    return new ConnectionError(`consul ${what}: ${why} (HTTP 403 "${said}")`, { retryable: false });
  }
  return new ConnectionError(`consul ${what}: HTTP ${status} "${said}"`, {
    retryable: status >= 500 || status === 429,
  });
}
