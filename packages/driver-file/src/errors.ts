import { ConnectionError, ToozError } from '@tooz/core/driver';

/** Conditions that may clear up by themselves: worth a retry inside a wait. */
const TRANSIENT = new Set(['EAGAIN', 'EINTR', 'EIO', 'EMFILE', 'ENFILE', 'ENOLCK', 'ENOMEM', 'ENOSPC', 'EBUSY']);

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isMissing(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A file-system failure as core expects it: a ConnectionError, retryable when it may pass. */
export function toToozError(error: unknown): unknown {
  if (error instanceof ToozError) return error;
  const code = errnoOf(error);
  return new ConnectionError(`File system call failed${code ? ` (${code})` : ''}`, {
    cause: error,
    retryable: code === undefined || TRANSIENT.has(code),
  });
}
