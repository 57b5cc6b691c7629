import { randomBytes } from 'node:crypto';
import type { LockKey } from '@tooz/core/driver';

/** The child of the namespace node that holds every lock (Python tooz's layout). */
export const LOCKS_NODE = 'locks';
/** The child of a group node that holds its leader candidates (Python tooz's layout). */
export const LEADER_NODE = 'leader';

/**
 * Every path the driver uses, following Python tooz (TOOZ.md §2.4):
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
export class ZookeeperKeys {
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

  memberId(node: string): string {
    return unescapeSegment(node);
  }
}

/*
 * Ids as path segments, reversibly. Printable ASCII other than `/` and `%`
 * is kept, so the ids Python tooz stores (ASCII, unescaped) read back
 * unchanged; every other byte of the UTF-8 form becomes `%XX`. ZooKeeper
 * refuses `.`, `..`, control characters and much of the BMP's private and
 * surrogate ranges in paths, and Python tooz decodes path parts as ASCII.
 */
const encoder = new TextEncoder();
const HEX = '0123456789ABCDEF';

const escapeByte = (byte: number): string => `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
const plain = (code: number): boolean => code >= 0x20 && code <= 0x7e && code !== 0x2f && code !== 0x25;

/** Escapes one id; `reserved` names (layout nodes beside ids) get their first character escaped. */
export function escapeSegment(id: string, reserved: readonly string[] = []): string {
  let out = id;
  for (let i = 0; i < id.length; i++) {
    if (plain(id.charCodeAt(i))) continue;
    out = '';
    for (const byte of encoder.encode(id)) out += plain(byte) ? String.fromCharCode(byte) : escapeByte(byte);
    break;
  }
  if (out === '.' || out === '..' || reserved.includes(out)) out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  return out;
}

/** The id a segment stands for; a name that is no valid escape (a raw `%` from Python tooz) is returned as is. */
export function unescapeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** kazoo's lock node marker: `<uuid4 hex>__lock__<10-digit sequence>`, as Python tooz writes them. */
const MARK = '__lock__';
const SEQUENCE = /__r?lock__(\d{10})$/;

const PROCESS_ID = randomBytes(8).toString('hex');
let counter = 0;

/**
 * The name prefix of a new contender node, unique so that a create lost with
 * the connection can be found again: 32 hex digits like kazoo's uuid4 (this
 * process's random id and a counter), then the marker; the server appends
 * the sequence number.
 */
export function contenderPrefix(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_ID}${counter.toString(16).padStart(16, '0')}${MARK}`;
}

function sequenceOf(name: string): number {
  const match = SEQUENCE.exec(name);
  return match ? Number(match[1]) : -1;
}

/**
 * Contender node names in queue order (lowest sequence first, as kazoo
 * orders them, read locks included); anything else in the queue is ignored.
 */
export function inQueueOrder(children: readonly string[]): string[] {
  return children.filter((name) => SEQUENCE.test(name)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

export function nodeName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
