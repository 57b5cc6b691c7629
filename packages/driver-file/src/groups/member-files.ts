import { openSync } from 'node:fs';
import { join } from 'node:path';
import { isMissing } from './errors.js';
import { closeQuietly, FILE_MODE, OPEN_RW, openIfExists, readIfExists, stillAt, unlinkQuietly } from './files.js';
import { memberFiles } from './layout.js';
import type { NativeAddon } from './native.js';
import { decodeMember, type MemberRecord } from './tooz-files.js';

/**
 * A member is alive while some process holds byte 0 of its `.lock` file.
 * Whoever prunes a dead member holds bytes 0 and 1 while it deletes, so a
 * re-join of the same id waits for it instead of taking a file about to go.
 */

export function readMember(dir: string, hash: string): MemberRecord | undefined {
  const bytes = readIfExists(join(dir, memberFiles(hash).raw));
  return bytes ? decodeMember(bytes) : undefined;
}

/** Whether a process holds the member's lock. Opened read-only: its close wakes no watcher (IN_CLOSE_NOWRITE). */
export function isAlive(addon: NativeAddon, dir: string, hash: string): boolean {
  const fd = openIfExists(join(dir, memberFiles(hash).lock));
  if (fd === undefined) return false;
  try {
    return addon.probe(fd, 0, 1) !== 0 && addon.probe(fd, 1, 1) === 0;
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Deletes a dead member's files. Taking the lock proves the member dead and
 * keeps it so while deleting; a member that is alive (or re-joined) keeps
 * its files. Returns whether it pruned.
 */
export function prune(addon: NativeAddon, dir: string, hash: string): boolean {
  const names = memberFiles(hash);
  const lockPath = join(dir, names.lock);
  let fd: number;
  try {
    // Created if missing: a `.raw` without its `.lock` is pruned under a lock all the same.
    fd = openSync(lockPath, OPEN_RW, FILE_MODE);
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
  try {
    if (!addon.tryLock(fd, 2, 0, 2)) return false;
    if (!stillAt(fd, lockPath)) return false;
    unlinkQuietly(join(dir, names.raw));
    unlinkQuietly(lockPath);
    return true;
  } finally {
    closeQuietly(fd);
  }
}
