import type { GroupId, LockKey, MemberId } from '@tooz/core/driver';

/**
 * One name as one key segment: percent-encoded where it has a `/`, a `%`,
 * whitespace or anything outside ASCII, so any id maps to exactly one key
 * and back. Plain names (`workers`, `invoice-42`) stay as they are, as
 * Python tooz writes them. A segment of dots only is encoded too: an HTTP
 * router may resolve `.`/`..` in a path.
 */
function segment(name: string): string {
  const encoded = encodeURIComponent(name);
  return /^\.+$/.test(encoded) ? encoded.replaceAll('.', '%2E') : encoded;
}

const unsegment = (text: string): string => decodeURIComponent(text);

/**
 * Every KV key this driver uses, in Python tooz's consul layout:
 * `<ns>/groups/<g>/` (a group), `<ns>/groups/<g>/<member>` (a member,
 * held by the member's session), `<ns>/locks/<name>` (a lock); leader seats
 * in `<ns>/leaders/<g>` (tooz's consul driver had no election).
 */
export class ConsulKeys {
  private readonly root: string;

  constructor(namespace: string) {
    this.root = segment(namespace);
  }

  lock(key: LockKey): string {
    return `${this.root}/${key.kind === 'leader' ? 'leaders' : 'locks'}/${segment(key.name)}`;
  }

  get groupsPrefix(): string {
    return `${this.root}/groups/`;
  }

  /** The group's own key, which is also the prefix of its members. */
  group(group: GroupId): string {
    return `${this.groupsPrefix}${segment(group)}/`;
  }

  member(group: GroupId, memberId: MemberId): string {
    return `${this.group(group)}${segment(memberId)}`;
  }

  /** The group named by a key of a `?keys&separator=/` listing of groupsPrefix. */
  groupIdOf(key: string): GroupId | undefined {
    if (!key.startsWith(this.groupsPrefix) || !key.endsWith('/')) return undefined;
    const name = key.slice(this.groupsPrefix.length, -1);
    return name === '' || name.includes('/') ? undefined : safely(() => unsegment(name));
  }

  /** The member named by a key under a group's key; undefined for the group key itself or anything deeper. */
  memberIdOf(groupKey: string, key: string): MemberId | undefined {
    if (!key.startsWith(groupKey)) return undefined;
    const name = key.slice(groupKey.length);
    return name === '' || name.includes('/') ? undefined : safely(() => unsegment(name));
  }
}

/** A key someone else wrote that is not valid percent-encoding names nothing of ours. */
function safely(decode: () => string): string | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

/** A KV key as a URL path: each segment encoded once more, so `%` and `?` travel intact. */
export function kvPath(key: string): string {
  return `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
}
