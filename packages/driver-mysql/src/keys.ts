import { createHash } from 'node:crypto';
import type { LockKey } from '@tooz/core/driver';
import type { LockMode } from './options.js';

/** Where the driver's rows live, in the connection's database. */
export const TABLES = { locks: 'tooz_locks', groups: 'tooz_groups', members: 'tooz_members' } as const;

/** MySQL >= 5.7 refuses GET_LOCK names longer than this (characters). */
export const MAX_LOCK_NAME = 64;

/** Who a server lock stands for, as recorded beside its fencing counter. */
export interface LockIdentity {
  readonly namespace: string;
  readonly kind: string;
  readonly name: Buffer;
}

const sha256 = (...parts: readonly string[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:${part}`);
  return hash.digest();
};

/** Printable ASCII with no capital: the same under every collation MySQL may compare lock names with. */
const FOLD_SAFE = /^[\x20-\x40\x5b-\x7e]*$/;
const KIND_CODE = { lock: 'l', leader: 'e' } as const;

/**
 * Every name the driver gives the server, built in one place. A GET_LOCK
 * name is readable (`tooz:<namespace>:<l|e>:<name>`) when that fits the
 * 64-character limit and means the same under case- and accent-folding
 * collations (MySQL 8 compares lock names case-insensitively, MariaDB
 * does not); otherwise it is `tooz#` and 48 hex digits of SHA-256. The two
 * forms never meet (`:` against `#` after `tooz`, and a namespace holds no
 * `:`), and the real name is recorded beside the counter, so two names whose
 * hashes agree are refused rather than excluding each other silently.
 */
export class MysqlKeys {
  constructor(
    /** The coordinator's namespace, part of every lock name. */
    readonly namespace: string,
    private readonly lockMode: LockMode,
  ) {}

  /** The `GET_LOCK` name of `key`: readable when it fits MySQL's 64 characters, hashed when not. */
  lockName(key: LockKey): string {
    if (this.lockMode === 'tooz' && key.kind === 'lock') {
      // Python tooz passes the raw name; past the limit MySQL would refuse it anyway.
      return key.name.length <= MAX_LOCK_NAME ? key.name : this.hashed('tooz-lock', key.name);
    }
    const readable = `tooz:${this.namespace}:${KIND_CODE[key.kind]}:${key.name}`;
    if (readable.length <= MAX_LOCK_NAME && FOLD_SAFE.test(readable)) return readable;
    return this.hashed(this.namespace, key.kind, key.name);
  }

  /** What is recorded with a lock's counter. Tooz-mode locks belong to no namespace, as in Python tooz. */
  identity(key: LockKey): LockIdentity {
    const shared = this.lockMode === 'tooz' && key.kind === 'lock';
    return { namespace: shared ? '' : this.namespace, kind: key.kind, name: Buffer.from(key.name, 'utf8') };
  }

  /** SHA-256 of a group id, the group's primary key. */
  groupHash(group: string): Buffer {
    return sha256('group', group);
  }

  /** SHA-256 of a member id, the member's key within its group. */
  memberHash(member: string): Buffer {
    return sha256('member', member);
  }

  /** The GET_LOCK a member holds while it is in a group. */
  memberLock(group: string, member: string): string {
    return this.hashed(this.namespace, 'member', group, member);
  }

  private hashed(...parts: readonly string[]): string {
    return `tooz#${sha256(...parts)
      .subarray(0, 24)
      .toString('hex')}`;
  }
}
