import type { LockKey } from '@tooz/core/driver';

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
 * | `NSmembers:<g>:python`           | STRING | no   | `1` once the group has had a member without a deadline (Python tooz's) |
 *
 * With `lockMode: 'tooz'` a lock (or seat) also takes the keys Python tooz
 * would use for it (`toozLockKeys`): 9.x's raw `NS<name>_lock` when the
 * escaped one differs, and 3.1.0's `b'<ns>'_b'<name>'_lock` (a bytes name)
 * and `b'<ns>'_<name>_lock` (a str name).
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
export class RedisKeys {
  readonly prefix: string;
  readonly groups: string;
  readonly beatsPrefix: string;
  readonly inboxPrefix: string;

  constructor(readonly namespace: string) {
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

  /**
   * Set once a member without a deadline (Python tooz's) has been seen in
   * the group; while it exists, watchers re-check the group periodically
   * (group-expiry.ts). Deleted with the group.
   */
  python(groupId: string): string {
    return `${this.prefix}members:${groupId}:python`;
  }

  /**
   * The keys Python tooz uses for this lock, other than `lock(key)`:
   * 9.x's (the raw name) when escaping changed it, and 3.1.0's two (the name
   * passed as bytes, as tooz's own leader election does, or as str).
   */
  toozLockKeys(key: LockKey): string[] {
    const raw = key.kind === 'leader' ? `leader_of_${key.name}` : key.name;
    const ns = pythonBytesRepr(Buffer.from(this.namespace, 'utf8'));
    const keys = [
      `${this.prefix}${raw}_lock`,
      `${ns}_${pythonBytesRepr(Buffer.from(raw, 'utf8'))}_lock`,
      // tooz's leader seats are always named by bytes.
      ...(key.kind === 'lock' ? [`${ns}_${raw}_lock`] : []),
    ];
    const own = this.lock(key);
    return [...new Set(keys)].filter((k) => k !== own);
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

/**
 * Python's `repr()` of a bytes value (what tooz 3.1.0's `"%s" % name_bytes`
 * writes into a lock key): `b'...'`, or `b"..."` when the bytes hold a `'`
 * and no `"`; `\\`, the quote, `\t`, `\n`, `\r` escaped, other bytes
 * outside 0x20-0x7e as `\xhh`.
 */
export function pythonBytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = `b${quote}`;
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}${quote}`;
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
