import { createHash } from 'node:crypto';
import type { LockKey } from '@tooz/core/driver';

/** memcached's limits for a key: at most 250 bytes, no spaces or control characters. */
const MAX_KEY_BYTES = 250;
const STORABLE = /^[\x21-\x7e]+$/;
/** tooz's prefix of a leader seat's lock name. */
const LEADER = '_TOOZ_GROUP_LEADER_';

/**
 * Every key this driver writes. Lock keys are Python tooz's own
 * (`__TOOZ_LOCK_<name>`, leaders `__TOOZ_LOCK__TOOZ_GROUP_LEADER_<group>`)
 * in the default namespace, so the two exclude each other on a name; other
 * namespaces put theirs in front. Groups use keys of their own (tooz keeps a
 * whole group in one unbounded key): `<ns>:group:<g>` (exists), its member
 * index in `SHARDS` keys `<ns>:group:<g>:<k>`, each member in
 * `<ns>:member:<bytes of g>:<g>:<member>`, and the list of groups in `<ns>:groups`.
 * A key memcached cannot store (too long, spaces, control or non-ASCII
 * characters), or whose name starts with `#`, is replaced by its prefix and
 * a SHA-256 of the whole key (Python tooz then uses another key for it).
 */
export class MemcachedKeys {
  /** Member index keys per group: join and leave touch one; listing reads all of them at once. */
  static readonly SHARDS = 16;

  constructor(private readonly namespace: string) {}

  lock(key: LockKey): string {
    const prefix = this.namespace === 'tooz' ? '' : this.namespace;
    if (key.kind === 'leader') return storable(`${prefix}__TOOZ_LOCK_`, `${LEADER}${key.name}`);
    // A user lock named like a seat would be that seat: such names are hashed instead.
    return storable(`${prefix}__TOOZ_LOCK_`, key.name, key.name.startsWith(LEADER));
  }

  groups(): string {
    return storable(`${this.namespace}:groups`, '');
  }

  group(group: string): string {
    return storable(`${this.namespace}:group:`, group);
  }

  shard(group: string, memberId: string): string {
    return this.shardAt(group, shardOf(memberId));
  }

  shardAt(group: string, index: number): string {
    return storable(`${this.namespace}:index:${index}:`, group);
  }

  member(group: string, memberId: string): string {
    return storable(`${this.namespace}:member:`, `${Buffer.byteLength(group)}:${group}:${memberId}`);
  }
}

function shardOf(memberId: string): number {
  return createHash('sha1').update(memberId).digest().readUInt32BE(0) % MemcachedKeys.SHARDS;
}

/**
 * `prefix + name` when memcached can store it, else the prefix and a hash.
 * A name starting with `#` is always hashed, so that no name is stored
 * under a key that is another name's hash.
 */
function storable(prefix: string, name: string, hash = false): string {
  const key = prefix + name;
  if (!hash && !name.startsWith('#') && Buffer.byteLength(key) <= MAX_KEY_BYTES && STORABLE.test(key)) return key;
  return `${prefix.slice(0, 160)}#${createHash('sha256').update(key).digest('base64url')}`;
}
