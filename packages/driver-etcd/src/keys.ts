import type { LockKey } from '@tooz/core/driver';

/** `[start, end)`, as etcd ranges and watches take them. */
export interface KeyRange {
  readonly start: Buffer;
  readonly end: Buffer;
}

/**
 * Ids are escaped (`%` → `%25`, `/` → `%2F`) so that each is exactly one path
 * segment: a group called `a/b` can neither read as group `a`'s member `b`
 * nor show up in `list()`. Ids without those two characters keep tooz's keys.
 */
export function escapeId(id: string): string {
  return id.replace(/[%/]/g, (c) => (c === '%' ? '%25' : '%2F'));
}

/** Reverses escapeId; foreign keys without escapes decode to themselves. */
export function unescapeId(segment: string): string {
  return segment.replace(/%(25|2[Ff])/g, (_, hex: string) => (hex === '25' ? '%' : '/'));
}

/** The first key after every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] as number;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: everything from the prefix on.
  return Buffer.from([0]);
}

export const rangeOf = (prefix: Buffer): KeyRange => ({ start: prefix, end: prefixEnd(prefix) });

/** Exactly one key: [key, key + NUL). */
export const keyRange = (key: Buffer): KeyRange => ({ start: key, end: Buffer.concat([key, Buffer.from([0])]) });

/**
 * Where everything lives in etcd. Groups follow Python tooz's etcd3gw layout
 * (`tooz/groups/<g>/` holding its own name, members at `tooz/groups/<g>/<m>`
 * with msgpack capabilities) so both can share a cluster. Locks do not by
 * default: tooz's `/tooz/locks<name>` has no separator and one key per lock,
 * while a fair queue needs one key per waiter, under `<ns>/locks/<name>/`;
 * `lockMode: 'tooz'` uses tooz's key instead (see `toozLock`).
 */
export class EtcdKeys {
  readonly groupsPrefix: Buffer;
  private readonly groupsText: string;

  constructor(readonly namespace: string) {
    this.groupsText = `${namespace}/groups/`;
    this.groupsPrefix = Buffer.from(this.groupsText);
  }

  /** The group's own key, which is also the prefix of its members' keys. */
  group(groupId: string): Buffer {
    return Buffer.from(`${this.groupsText}${escapeId(groupId)}/`);
  }

  member(groupId: string, memberId: string): Buffer {
    return Buffer.from(`${this.groupsText}${escapeId(groupId)}/${escapeId(memberId)}`);
  }

  /** Every member key of a group, but not the group key: [group + NUL, end of the group prefix). */
  membersRange(groupKey: Buffer): KeyRange {
    return { start: Buffer.concat([groupKey, Buffer.from([0])]), end: prefixEnd(groupKey) };
  }

  /** A group id from a key under the groups prefix, or undefined for anything that is not a group key. */
  groupIdOf(key: Buffer): string | undefined {
    const text = key.toString('utf8');
    if (!text.startsWith(this.groupsText) || !text.endsWith('/')) return undefined;
    const segment = text.slice(this.groupsText.length, -1);
    // Member keys written by Python tooz with a '/' in the member id end in '/' too.
    if (segment.length === 0 || segment.includes('/')) return undefined;
    return unescapeId(segment);
  }

  /** A member id from a key under a group's prefix, or undefined for the group key itself. */
  memberIdOf(groupKey: Buffer, key: Buffer): string | undefined {
    if (key.length <= groupKey.length) return undefined;
    return unescapeId(key.subarray(groupKey.length).toString('utf8'));
  }

  /**
   * A lock's one key in `lockMode: 'tooz'`: Python tooz's etcd3gw key
   * `/tooz/locks<name>` (a leading slash, no separator, the name's UTF-8
   * bytes as they are) with the namespace in place of `tooz`.
   */
  toozLock(name: string): Buffer {
    return Buffer.concat([Buffer.from(`/${this.namespace}/locks`), Buffer.from(name, 'utf8')]);
  }

  /** The prefix under which a lock's (or a leader seat's) queue entries live. */
  lockPrefix(key: LockKey): Buffer {
    const kind = key.kind === 'leader' ? 'leaders' : 'locks';
    return Buffer.from(`${this.namespace}/${kind}/${escapeId(key.name)}/`);
  }

  /**
   * Where a cleanup marks an attempt (`<lease>_<n>`) whose creating transaction
   * timed out: that transaction requires this key to be absent, so if it is
   * still on its way it can no longer plant an entry nobody will delete.
   */
  tombstone(attempt: string): Buffer {
    return Buffer.from(`${this.namespace}/abandoned/${attempt}`);
  }
}
