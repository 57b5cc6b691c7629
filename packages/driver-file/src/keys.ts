import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { LockKey } from '@tooz/core/driver';

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
const HASH = /^[0-9a-f]{40}$/;
const MEMBER_FILE = /^([0-9a-f]{40})\.(raw|lock)$/;
/** tooz's group file, in each group directory. */
export const METADATA = '.metadata';

export interface LockPaths {
  /** The file whose byte 0 is the lock (Python tooz locks the whole file: the two exclude each other). */
  readonly lock: string;
  /** Beside it: the fencing counter and the current holder's record. */
  readonly fence: string;
}

export interface MemberPaths {
  /** tooz's member file (msgpack). */
  readonly raw: string;
  /** Held by the member's process while it is a member. */
  readonly lock: string;
}

/**
 * Every path the driver uses, under `<directory>/<namespace>`, which plays
 * the part of tooz's DIRECTORY:
 *
 *   groups/<sha1(group)>/.metadata            tooz's group file (msgpack)
 *   groups/<sha1(group)>/<sha1(member)>.raw   tooz's member file (msgpack), replaced atomically
 *   groups/<sha1(group)>/<sha1(member)>.lock  held by the member's process while it is a member
 *   tmp/                                      files being written, renamed into place
 *   <name> and .<name>.fence                  a lock (verbatim name, or ~sha1) and its counter
 *   .leaders/<sha1(group)> and .<sha1>.fence  leader seats
 */
export class FileKeys {
  readonly groups: string;
  readonly tmp: string;
  readonly leaders: string;

  constructor(readonly root: string) {
    this.groups = join(root, 'groups');
    this.tmp = join(root, 'tmp');
    this.leaders = join(root, '.leaders');
  }

  lock(key: LockKey): LockPaths {
    const directory = key.kind === 'leader' ? this.leaders : this.root;
    const base = key.kind === 'leader' ? sha1(key.name) : lockFileName(key.name);
    return { lock: join(directory, base), fence: join(directory, `.${base}.fence`) };
  }

  group(group: string): string {
    return join(this.groups, sha1(group));
  }

  /** A fresh name in tmp/, for a file written aside and then renamed or linked into place. */
  temp(suffix = 'tooz'): string {
    return join(this.tmp, `${randomUUID()}.${suffix}`);
  }
}

function lockFileName(name: string): string {
  return VERBATIM.test(name) && !RESERVED.has(name) ? name : `~${sha1(name)}`;
}

/** Whether an entry of groups/ is a group directory. */
export const isGroupDir = (name: string): boolean => HASH.test(name);

/** The name of a member's lock file, as its `lock_file` field carries it. */
export const memberLockName = (hash: string): string => `${hash}.lock`;

/** A member's files in its group directory, named by the sha1 of its id. */
export function memberPaths(groupDir: string, hash: string): MemberPaths {
  return { raw: join(groupDir, `${hash}.raw`), lock: join(groupDir, memberLockName(hash)) };
}

export const metadataPath = (groupDir: string): string => join(groupDir, METADATA);

/** The member hash and kind of a group directory entry, or undefined for anything else. */
export function parseMemberFile(name: string): { hash: string; kind: 'raw' | 'lock' } | undefined {
  const match = MEMBER_FILE.exec(name);
  return match ? { hash: match[1] as string, kind: match[2] as 'raw' | 'lock' } : undefined;
}
