import { openSync } from 'node:fs';
import { join } from 'node:path';
import { type EncodedCapabilities, GroupNotFoundError, MemberAlreadyJoinedError } from '@tooz/core';
import { Observable } from 'rxjs';
import { closeQuietly, FILE_MODE, OPEN_RW, openIfExists, readIfExists, stillAt, writeAtomically } from './files.js';
import { memberFiles, sha1 } from './layout.js';
import { FileMemberHandle } from './member-handle.js';
import { readMember } from './member-files.js';
import type { SessionEnv } from './session-env.js';
import { encodeMember } from './tooz-files.js';

export const METADATA = '.metadata';

/**
 * One attempt to join `group` as the session's member: holds a shared lock
 * on the group's metadata meanwhile (a delete takes it exclusively), takes
 * the member's lock file, then renames the member file into place. Answers
 * `pruning` when someone is deleting this member's stale files right now:
 * the caller tries again a moment later.
 */
export function joinMember(
  env: SessionEnv,
  group: string,
  capabilities: EncodedCapabilities,
): FileMemberHandle | 'pruning' {
  const { addon, layout, memberId } = env;
  const dir = layout.groupDir(group);
  const metadata = join(dir, METADATA);
  const metaFd = openIfExists(metadata);
  if (metaFd === undefined) throw new GroupNotFoundError(group);
  try {
    if (!addon.tryLock(metaFd, 1, 0, 1) || !stillAt(metaFd, metadata)) throw new GroupNotFoundError(group);
    const hash = sha1(memberId);
    const names = memberFiles(hash);
    const lockPath = join(dir, names.lock);
    const fd = openSync(lockPath, OPEN_RW, FILE_MODE);
    let joined = false;
    try {
      if (!addon.tryLock(fd, 2, 0, 1)) {
        if (addon.probe(fd, 1, 1) !== 0) return 'pruning';
        throw new MemberAlreadyJoinedError(group, memberId);
      }
      // Pruned between our open and our lock: that file is gone, take a fresh one.
      if (!stillAt(fd, lockPath)) return 'pruning';
      const existing = readMember(dir, hash);
      if (existing && !existing.ours) throw new MemberAlreadyJoinedError(group, memberId);
      const joinedOn = new Date(); // a wall-clock date for tooz's `joined_on` field, not a timer
      writeAtomically(layout.tmp, join(dir, names.raw), encodeMember(memberId, capabilities, names.lock, joinedOn));
      const handle = new FileMemberHandle(dir, hash, fd, joinedOn);
      handle.lost$ = lostWhenRemoved(env, handle);
      joined = true;
      return handle;
    } finally {
      if (!joined) closeQuietly(fd);
    }
  } finally {
    closeQuietly(metaFd);
  }
}

/** Our files deleted by someone else (by hand, or a group removed under us): the membership is gone. */
function lostWhenRemoved(env: SessionEnv, handle: FileMemberHandle): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const check = () => {
      if (handle.left || handle.dead) return;
      if (!stillAt(handle.fd, handle.lockPath) || readIfExists(handle.rawPath) === undefined) {
        subscriber.next(undefined);
      }
    };
    const stopRaw = env.removals.on(handle.rawPath, check);
    const stopLock = env.removals.on(handle.lockPath, check);
    return () => {
      stopRaw();
      stopLock();
    };
  });
}
