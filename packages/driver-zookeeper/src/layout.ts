import type { LockKey } from '@tooz/core';
import { escapeSegment, unescapeSegment } from './escape.js';

/** The child of the namespace node that holds every lock (Python tooz's layout). */
export const LOCKS_NODE = 'locks';
/** The child of a group node that holds its leader candidates (Python tooz's layout). */
export const LEADER_NODE = 'leader';

/**
 * Where everything lives, following Python tooz (TOOZ.md §2.4):
 *
 * ```
 * <chroot>/<ns>                              persistent
 * <chroot>/<ns>/<group>                      persistent, empty
 * <chroot>/<ns>/<group>/<member>             ephemeral, msgpack capabilities
 * <chroot>/<ns>/<group>/leader/<uuid>__lock__<seq>   ephemeral sequential, member id
 * <chroot>/<ns>/locks/<name>/<uuid>__lock__<seq>     ephemeral sequential, member id
 * ```
 *
 * Unlike tooz, `locks` is never listed as a group and `leader` never as a
 * member: a group really called `locks` or a member really called `leader`
 * is stored escaped (`%6Cocks`, `%6Ceader`), so the names cannot meet.
 */
export class Layout {
  /** The namespace node, e.g. `/tooz` or `/chroot/tooz`. */
  readonly root: string;
  readonly locks: string;

  constructor(chroot: string, namespace: string) {
    this.root = `${chroot}/${escapeSegment(namespace)}`;
    this.locks = `${this.root}/${LOCKS_NODE}`;
  }

  group(groupId: string): string {
    return `${this.root}/${escapeSegment(groupId, [LOCKS_NODE])}`;
  }

  member(groupId: string, memberId: string): string {
    return `${this.group(groupId)}/${escapeSegment(memberId, [LEADER_NODE])}`;
  }

  /** The queue of a lock or leader seat: its contenders are the children. */
  queue(key: LockKey): string {
    return key.kind === 'leader'
      ? `${this.group(key.name)}/${LEADER_NODE}`
      : `${this.locks}/${escapeSegment(key.name)}`;
  }

  /** Group ids from the namespace node's children. */
  groupIds(children: readonly string[]): string[] {
    return children.filter((name) => name !== LOCKS_NODE).map(unescapeSegment);
  }

  /** Member node names of a group node's children (its leader queue is not a member). */
  memberNodes(children: readonly string[]): string[] {
    return children.filter((name) => name !== LEADER_NODE);
  }
}

export function memberIdOf(node: string): string {
  return unescapeSegment(node);
}
