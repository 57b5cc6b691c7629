import { ConnectionError, ToozError } from '@tooz/core/driver';
import {
  EtcdAuthenticationFailedError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  EtcdUserNotFoundError,
  GRPCUnauthenticatedError,
} from 'etcd3';

/** A lease the server no longer knows: expired or revoked. */
export function isLeaseGone(error: unknown): boolean {
  return (
    error instanceof EtcdLeaseInvalidError ||
    (error instanceof Error && error.message.includes('requested lease not found'))
  );
}

/**
 * Turns whatever the etcd3 client threw into a ToozError: refused credentials
 * and permissions are final (retrying cannot help), everything else is a
 * retryable transport failure. The client's messages never contain the
 * password (it travels in the Authenticate request only), and core redacts
 * registered secrets from every ToozError message anyway.
 */
export function toToozError(error: unknown, what: string): ToozError {
  if (error instanceof ToozError) return error;
  if (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdUserNotFoundError ||
    error instanceof GRPCUnauthenticatedError
  ) {
    return new ConnectionError('etcd refused the user name or password', { retryable: false });
  }
  if (error instanceof Error && error.message.includes('user name is empty')) {
    return new ConnectionError('etcd requires a user name and password (auth is enabled)', { retryable: false });
  }
  if (error instanceof EtcdPermissionDeniedError) {
    return new ConnectionError(`etcd denied permission for ${what}`, { cause: error, retryable: false });
  }
  return new ConnectionError(`etcd ${what} failed`, { cause: error, retryable: true });
}
