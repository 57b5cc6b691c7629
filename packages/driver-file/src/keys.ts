import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { LockKey } from '@tooz/core';

/** tooz's file driver names group directories and member files by the sha1 of the id (TOOZ.md §2.6). */
export function sha1(id: string): string {
  return createHash('sha1').update(id, 'utf8').digest('hex');
}

/**
 * Lock names tooz would also use verbatim as a file name: no separator, no
 * leading dot (so never `.`, `..` or one of our hidden files), no `~` (the
 * prefix of hashed names), nothing tooz reserves. Anything else is hashed,
 * so no id can reach outside the directory.
 */
const VERBATIM = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const RESERVED = new Set(['groups', 'tmp']);

export function lockFileName(name: string): string {
  return VERBATIM.test(name) && !RESERVED.has(name) ? name : `~${sha1(name)}`;
}

export interface LockPaths {
  readonly directory: string;
  /** The file whose byte 0 is the lock (Python tooz locks the whole file: the two exclude each other). */
  readonly lock: string;
  /** Beside it: the fencing counter and the current holder's record. */
  readonly fence: string;
}

/**
 * Where everything lives, under `<directory>/<namespace>`, which plays the
 * part of tooz's DIRECTORY:
 *
 *   groups/<sha1(group)>/.metadata            tooz's group file (msgpack)
 *   groups/<sha1(group)>/<sha1(member)>.raw   tooz's member file (msgpack), replaced atomically
 *   groups/<sha1(group)>/<sha1(member)>.lock  held by the member's process while it is a member
 *   tmp/                                      files being written, renamed into place
 *   <name> and .<name>.fence                  a lock (verbatim name, or ~sha1) and its counter
 *   .leaders/<sha1(group)> and .<sha1>.fence  leader seats
 */
export class Layout {
  readonly groups: string;
  readonly tmp: string;
  readonly leaders: string;

  constructor(readonly root: string) {
    this.groups = join(root, 'groups');
    this.tmp = join(root, 'tmp');
    this.leaders = join(root, '.leaders');
  }

  groupDir(group: string): string {
    return join(this.groups, sha1(group));
  }

  lockPaths(key: LockKey): LockPaths {
    const directory = key.kind === 'leader' ? this.leaders : this.root;
    const base = key.kind === 'leader' ? sha1(key.name) : lockFileName(key.name);
    return { directory, lock: join(directory, base), fence: join(directory, `.${base}.fence`) };
  }
}

/** A member's two files in its group directory, named by the sha1 of its id. */
export const memberFiles = (hash: string) => ({ raw: `${hash}.raw`, lock: `${hash}.lock` });

const MEMBER_FILE = /^([0-9a-f]{40})\.(raw|lock)$/;

/** The member hash and kind of a group directory entry, or undefined for anything else. */
export function parseMemberFile(name: string): { hash: string; kind: 'raw' | 'lock' } | undefined {
  const match = MEMBER_FILE.exec(name);
  return match ? { hash: match[1] as string, kind: match[2] as 'raw' | 'lock' } : undefined;
}
