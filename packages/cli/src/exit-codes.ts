import { constants } from 'node:os';
import { isToozError } from '@tooz/core';

/**
 * What `tooz` exits with. A command run under `lock` or `elect` has its own
 * exit code passed through instead, as a shell would report it (128 + the
 * signal number when a signal ended it), so codes 1-5 are ambiguous there
 * when the command itself uses them.
 */
export const EXIT = {
  ok: 0,
  /** tooz failed, or `doctor` found something to fix. */
  failure: 1,
  /** Bad usage: unknown option, missing argument, invalid value. */
  usage: 2,
  /** The lock was not acquired within `--wait`. */
  lockTimeout: 3,
  /** What was held was lost (the lock under `lock`); the command was stopped. */
  lost: 4,
  /** No connection: backend unreachable, credentials refused, driver package not installed. */
  connection: 5,
  /** The command could not be started: not executable (126) or not found (127), as in a shell. */
  notExecutable: 126,
  notFound: 127,
} as const;

/** 128 + the signal's number: how a shell reports a process a signal ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): number {
  if (isToozError(error, 'INVALID_ARGUMENT')) return EXIT.usage;
  if (isToozError(error, 'LOCK_TIMEOUT')) return EXIT.lockTimeout;
  if (isToozError(error, 'LOCK_LOST') || isToozError(error, 'MEMBERSHIP_LOST')) return EXIT.lost;
  if (isToozError(error, 'CONNECTION')) return EXIT.connection;
  return EXIT.failure;
}
