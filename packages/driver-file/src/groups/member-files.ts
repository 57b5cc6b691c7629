import { openSync } from 'node:fs';
import { type EncodedCapabilities, GroupNotFoundError, MemberAlreadyJoinedError } from '@tooz/core/driver';
import type { SchedulerLike, Subscription } from 'rxjs';
import { isMissing } from '../errors.js';
import {
  closeQuietly,
  FILE_MODE,
  OPEN_RW,
  openIfExists,
  readIfExists,
  stillAt,
  unlinkQuietly,
  writeAtomically,
} from '../files.js';
import { type MemberPaths, memberLockName, memberPaths, metadataPath, sha1 } from '../keys.js';
import type { NativeAddon } from '../native.js';
import type { SessionEnv } from '../session.js';
import { AGAIN } from '../sync-call.js';
import { decodeMember, encodeMember, type MemberRecord } from './tooz-files.js';

/**
 * A member is alive while some process holds byte 0 of its `.lock` file.
 * Whoever prunes a dead member holds bytes 0 and 1 while it deletes, so a
 * re-join of the same id waits for it instead of taking a file about to go.
 */

/**
 * A dead member's files stay this long before they are deleted, so that
 * every watcher can still read whom it was and what it advertised (inotify
 * events carry only a file name), even for a member that joined and left
 * before the watcher looked.
 */
const PRUNE_GRACE = 2_000;

export function readMember(dir: string, hash: string): MemberRecord | undefined {
  const bytes = readIfExists(memberPaths(dir, hash).raw);
  return bytes ? decodeMember(bytes) : undefined;
}

/** Whether a process holds the member's lock. Opened read-only: its close wakes no watcher (IN_CLOSE_NOWRITE). */
export function isAlive(addon: NativeAddon, dir: string, hash: string): boolean {
  const fd = openIfExists(memberPaths(dir, hash).lock);
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
  const paths = memberPaths(dir, hash);
  let fd: number;
  try {
    // Created if missing: a `.raw` without its `.lock` is pruned under a lock all the same.
    fd = openSync(paths.lock, OPEN_RW, FILE_MODE);
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
  try {
    if (!addon.tryLock(fd, 2, 0, 2) || !stillAt(fd, paths.lock)) return false;
    unlinkQuietly(paths.raw);
    unlinkQuietly(paths.lock);
    return true;
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Prunes a dead member PRUNE_GRACE after someone noticed its death: one
 * timer per death, started by whoever noticed it. (Not a periodic sweep:
 * deaths are pushed, by inotify and the rechecks after a close.)
 */
export class Pruner {
  private readonly due = new Map<string, { readonly dir: string; readonly hash: string; timer?: Subscription }>();

  constructor(
    private readonly addon: NativeAddon,
    private readonly scheduler: SchedulerLike,
  ) {}

  schedule(dir: string, hash: string): void {
    const id = memberPaths(dir, hash).lock;
    if (this.due.has(id)) return;
    const entry: { dir: string; hash: string; timer?: Subscription } = { dir, hash };
    this.due.set(id, entry);
    entry.timer = this.scheduler.schedule(() => this.run(id), PRUNE_GRACE);
  }

  /** At close: no timers left behind, what was due is done now. */
  flush(): void {
    for (const id of [...this.due.keys()]) this.run(id);
  }

  private run(id: string): void {
    const entry = this.due.get(id);
    if (!entry) return;
    this.due.delete(id);
    entry.timer?.unsubscribe();
    try {
      prune(this.addon, entry.dir, entry.hash);
    } catch {
      // Best effort: someone else will, and the member counts as dead either way.
    }
  }
}

export interface JoinedFiles {
  readonly hash: string;
  readonly paths: MemberPaths;
  /** Holds the lock on the member's `.lock` file. */
  readonly fd: number;
  readonly joinedOn: Date;
}

/**
 * One attempt to join `group` as the session's member: holds a shared lock
 * on the group's metadata meanwhile (a delete takes it exclusively), takes
 * the member's lock file, then renames the member file into place. Answers
 * AGAIN when someone is deleting this member's stale files right now.
 */
export function joinMember(
  env: SessionEnv,
  group: string,
  capabilities: EncodedCapabilities,
): JoinedFiles | typeof AGAIN {
  const { addon, keys, memberId } = env;
  const dir = keys.group(group);
  const metadata = metadataPath(dir);
  const metaFd = openIfExists(metadata);
  if (metaFd === undefined) throw new GroupNotFoundError(group);
  try {
    if (!addon.tryLock(metaFd, 1, 0, 1) || !stillAt(metaFd, metadata)) throw new GroupNotFoundError(group);
    const hash = sha1(memberId);
    const paths = memberPaths(dir, hash);
    const fd = openSync(paths.lock, OPEN_RW, FILE_MODE);
    let joined = false;
    try {
      if (!addon.tryLock(fd, 2, 0, 1)) {
        if (addon.probe(fd, 1, 1) !== 0) return AGAIN;
        throw new MemberAlreadyJoinedError(group, memberId);
      }
      // Pruned between our open and our lock: that file is gone, take a fresh one.
      if (!stillAt(fd, paths.lock)) return AGAIN;
      const existing = readMember(dir, hash);
      if (existing && !existing.ours) throw new MemberAlreadyJoinedError(group, memberId);
      const joinedOn = new Date(); // a wall-clock date for tooz's `joined_on` field, not a timer
      writeAtomically(keys.temp(), paths.raw, encodeMember(memberId, capabilities, memberLockName(hash), joinedOn));
      joined = true;
      return { hash, paths, fd, joinedOn };
    } finally {
      if (!joined) closeQuietly(fd);
    }
  } finally {
    closeQuietly(metaFd);
  }
}
