import type { LockKey } from '@tooz/core';

/** The hash field tooz uses to mark a group as existing (redis drops empty hashes). */
export const CREATED_FIELD = '__created__';

const NEEDS_ESCAPE = /[%:]/;
const ESCAPED = /[%:]/g;
const escapeChar = (c: string) => (c === '%' ? '%25' : '%3A');

/**
 * Python tooz's 9.x key layout (TOOZ.md §2.1); NS is `<namespace>_`:
 *
 * | key                              | type   | tooz | content |
 * |----------------------------------|--------|------|---------|
 * | `NSgroups`                      | SET    | yes  | group ids |
 * | `NSgroup:<g>`                   | HASH   | yes  | `__created__`=1, member field → msgpack capabilities |
 * | `NSbeats:<m>`                   | STRING | yes  | `Not dead!`, PX membership TTL |
 * | `NS<name>_lock`                  | STRING | yes  | `<token>:<member id>` (tooz writes a uuid) |
 * | `NSleader_of_<g>_lock`           | STRING | yes  | leader seat, same format |
 * | `NS<name>_lock:fence`            | STRING | no   | last fencing token handed out for that lock |
 * | `NSmembers:<g>:deadlines`        | ZSET   | no   | member field → deadline (server ms) |
 * | `NSmembers:<g>:owners`           | HASH   | no   | member field → owner token of its current membership |
 *
 * Lock and leader names escape `%` and `:` (`%25`, `%3A`), and a user lock
 * whose name starts with `leader_of_` is written `leader%5Fof_...`, so that
 * no lock key can meet a group, beat or fence key or a leader seat (tooz's
 * raw layout lets a lock named `group:x` collide with group `x_lock`).
 * Names without those characters are stored exactly as tooz stores them.
 * Keys of our own never end in `_lock` and never start with `group:` or
 * `beats:`, so they cannot meet a key Python tooz writes either.
 *
 * Pub/sub channels: a lock's key (its holder changes), a group's key (its
 * members change), and `NSinbox:<m>` (a member is told its hold was taken
 * or its membership removed).
 */
export class KeyLayout {
  readonly prefix: string;
  readonly groups: string;
  readonly beatsPrefix: string;
  readonly inboxPrefix: string;

  constructor(namespace: string) {
    this.prefix = `${namespace}_`;
    this.groups = `${this.prefix}groups`;
    this.beatsPrefix = `${this.prefix}beats:`;
    this.inboxPrefix = `${this.prefix}inbox:`;
  }

  lock(key: LockKey): string {
    if (key.kind === 'leader') return `${this.prefix}leader_of_${escapeName(key.name)}_lock`;
    const name = escapeName(key.name);
    return `${this.prefix}${name.startsWith('leader_of_') ? `leader%5F${name.slice(7)}` : name}_lock`;
  }

  group(groupId: string): string {
    return `${this.prefix}group:${groupId}`;
  }

  deadlines(groupId: string): string {
    return `${this.prefix}members:${groupId}:deadlines`;
  }

  /** Which membership (its join's owner token) each member field of the group is now. */
  owners(groupId: string): string {
    return `${this.prefix}members:${groupId}:owners`;
  }

  beat(memberId: string): string {
    return `${this.beatsPrefix}${memberId}`;
  }

  inbox(memberId: string): string {
    return `${this.inboxPrefix}${memberId}`;
  }
}

export function fenceKey(lockKey: string): string {
  return `${lockKey}:fence`;
}

function escapeName(name: string): string {
  return NEEDS_ESCAPE.test(name) ? name.replace(ESCAPED, escapeChar) : name;
}

/**
 * A member's field in the group hash: its id, except that `__created__` and
 * ids starting with `%` get a `%` in front, so every id is storable (tooz
 * refuses `__created__`) and the mapping is reversible.
 */
export function memberField(memberId: string): string {
  return memberId === CREATED_FIELD || memberId.startsWith('%') ? `%${memberId}` : memberId;
}

export function memberOfField(field: string): string {
  return field.startsWith('%') ? field.slice(1) : field;
}
