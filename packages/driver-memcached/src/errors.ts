import { ConnectionError, isToozError } from '@tooz/core/driver';
import type { Reply } from './protocol/reply.js';

/** Anything that is not already a tooz error is the backend failing: retryable unless said otherwise. */
export function toToozError(error: unknown, what: string): Error {
  if (isToozError(error)) return error;
  return new ConnectionError(`memcached ${what} failed`, { cause: error });
}

/** A reply this driver did not ask for (`SERVER_ERROR out of memory`, `CLIENT_ERROR ...`). */
export function unexpected(reply: Reply, what: string): ConnectionError {
  const said = reply.kind === 'error' ? reply.message : reply.kind === 'status' ? reply.code : reply.kind;
  return new ConnectionError(`memcached ${what}: unexpected reply ${said}`);
}
