import { ConnectionError, ToozError } from '@tooz/core/driver';
import { catchError, defer, type Observable, of, throwError } from 'rxjs';

/** Limits that may clear up (a semaphore or memory freed by someone else): worth a retry. */
const TRANSIENT = new Set(['EAGAIN', 'EINTR', 'ENOMEM', 'ENOSPC']);

const HINTS: Readonly<Record<string, string>> = {
  EACCES: 'the semaphore or table belongs to another user: choose another namespace',
  ENOSPC: 'the system limit on semaphores or segments is reached (see /proc/sys/kernel/sem, shmmni)',
  EINVAL: 'the key is used by a System V object of another shape',
};

/** A System V call's failure as core expects it: a ConnectionError naming the errno, retryable when it may pass. */
export function toToozError(error: unknown): unknown {
  if (error instanceof ToozError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const name = typeof code === 'string' ? code : undefined;
  const hint = name ? HINTS[name] : undefined;
  return new ConnectionError(`System V IPC call failed${name ? ` (${name})` : ''}${hint ? `: ${hint}` : ''}`, {
    cause: error,
    retryable: name === undefined || TRANSIENT.has(name),
  });
}

/** The addon's calls are short system calls: answered on subscribe, errors mapped. */
export function syscall<T>(work: () => T): Observable<T> {
  return defer(() => of(work())).pipe(catchError((error: unknown) => throwError(() => toToozError(error))));
}
