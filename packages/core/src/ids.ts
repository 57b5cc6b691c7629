import { isWellFormed } from './internal/well-formed.js';
import { InvalidArgumentError } from './errors/errors.js';

/** A member's id in groups and leader elections (`memberId` of `connect()`), at most `maxIdBytes` in UTF-8. */
export type MemberId = string;
/** A group's id (also the name of its leader election). */
export type GroupId = string;
/** A lock's name; locks and groups live in separate namespaces. */
export type LockName = string;

/** Default upper bound on an id's UTF-8 length; a driver may declare a lower one. */
export const DEFAULT_MAX_ID_BYTES = 1024;

const encoder = new TextEncoder();

/**
 * Checks an id before anything is written. Ids are Unicode strings; drivers
 * escape or hash them for their backend, so any character is fine as long as
 * the string is well-formed (encodable as UTF-8) and not empty.
 */
export function validateId(field: string, value: unknown, maxBytes = DEFAULT_MAX_ID_BYTES): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(field, `expected a string, got ${value === null ? 'null' : typeof value}`);
  }
  if (value.length === 0) throw new InvalidArgumentError(field, 'must not be empty');
  if (!isWellFormed(value)) throw new InvalidArgumentError(field, 'is not valid UTF-8 (lone surrogate)');
  // Three UTF-8 bytes per UTF-16 unit at most: short ids need no encoding.
  if (value.length * 3 <= maxBytes) return value;
  const bytes = encoder.encode(value).length;
  if (bytes > maxBytes) throw new InvalidArgumentError(field, `is ${bytes} bytes long; the limit is ${maxBytes}`);
  return value;
}
