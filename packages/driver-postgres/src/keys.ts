import * as crypto from 'node:crypto';
import type { LockKey } from '@tooz/core/driver';
import {
  acquiredPayload,
  b64,
  groupTopic,
  leftPayload,
  type LockKindCode,
  lockTopic,
  releasedPayload,
} from './notices.js';

/**
 * What an advisory lock stands for. Locks and leader seats are told apart
 * (a lock called like a group never meets its seat), and so are memberships.
 */
export type KeyKind = 'lock' | 'leader' | 'member' | 'schema';

/** crypto.hash (Node 20.12+) is several times cheaper than a Hash object; older Nodes use the latter. */
const sha256 = (text: string): Buffer =>
  typeof crypto.hash === 'function'
    ? crypto.hash('sha256', text, 'buffer')
    : crypto.createHash('sha256').update(text, 'utf8').digest();

/**
 * The 64-bit advisory lock key of a name in a namespace: the first 8 bytes,
 * as a signed big-endian integer (PostgreSQL's `bigint` form of
 * `pg_advisory_lock`), of SHA-256 over `<utf8 length>:<part>` for each of
 * namespace, kind and the name's parts. Length prefixes keep ('a', 'bc')
 * and ('ab', 'c') apart. Two different names share a key with odds of 2^-64
 * per pair; the README states what that means in practice.
 */
export function advisoryKey(namespace: string, kind: KeyKind, ...parts: readonly string[]): bigint {
  let text = '';
  for (const part of [namespace, kind, ...parts]) text += `${Buffer.byteLength(part, 'utf8')}:${part}`;
  return sha256(text).readBigInt64BE(0);
}

/**
 * Python tooz's advisory lock key for a lock name (`lockMode: 'tooz'`):
 * the first two bytes of MD5 over the name's bytes (tooz takes bytes; a
 * Python caller encodes its `str` names as UTF-8), passed as the two `int4`
 * arguments of `pg_advisory_lock(int4, int4)`, each 0-255. So there are only
 * 65,536 keys, with no namespace: unrelated names share one (tooz's own
 * `lock-2` and `lock-137` both take (238, 160)).
 */
export function toozAdvisoryKey(name: string): readonly [number, number] {
  const digest = crypto.createHash('md5').update(name, 'utf8').digest();
  return [digest[0] ?? 0, digest[1] ?? 0];
}

/**
 * The LISTEN/NOTIFY channel of a namespace. Channel names are identifiers
 * (at most 63 bytes), so the namespace is hashed into a short, fixed form.
 */
export function channelOf(namespace: string): string {
  return `tooz_${sha256(`tooz channel\u0000${namespace}`).toString('hex').slice(0, 16)}`;
}

/** Python tooz's key of a lock, and how it is named among the 64-bit keys counted and swept (decimal numbers). */
export interface ToozKey {
  readonly key: readonly [number, number];
  readonly id: string;
}

/** Everything derived from one lock name or leader seat. */
export interface LockName {
  readonly kind: LockKey['kind'];
  readonly name: Buffer;
  /** The driver's advisory key, as decimal text. */
  readonly lockKey: string;
  /** `lockMode: 'tooz'`, locks only: Python tooz's key for the name, held beside the driver's own. */
  readonly tooz: ToozKey | undefined;
  /** The NOTIFY payloads that wake its waiters and tell who took the seat. */
  readonly releasedPayload: string;
  readonly acquiredPayload: string;
  /** The dispatch key of its notices. */
  readonly topic: string;
}

/** Everything derived from one group id. */
export interface GroupName {
  readonly group64: string;
  readonly groupId: Buffer;
  /** This member's advisory lock in the group. */
  readonly memberKey: string;
  readonly leftPayload: string;
  readonly topic: string;
}

/**
 * Every key, channel and payload of one coordinator, computed once per name
 * (hashing and encoding are the hot path's work). Names are usually few and
 * reused; past 4,096 of a kind the cache starts over.
 */
export class PostgresKeys {
  readonly channel: string;
  readonly memberBytes: Buffer;
  readonly member64: string;
  /** Serialises the schema's creation between coordinators starting together. */
  readonly schemaLock: string;
  private readonly locks = new Map<string, LockName>();
  private readonly groups = new Map<string, GroupName>();

  constructor(
    private readonly namespace: string,
    private readonly memberId: string,
    private readonly toozLocks: boolean,
  ) {
    this.channel = channelOf(namespace);
    this.memberBytes = Buffer.from(memberId, 'utf8');
    this.member64 = b64(memberId);
    this.schemaLock = advisoryKey(namespace, 'schema').toString();
  }

  lock(key: LockKey): LockName {
    // `kind` never holds ':', so the cache key is unambiguous whatever the name holds.
    return cached(this.locks, `${key.kind}:${key.name}`, () => {
      const code: LockKindCode = key.kind === 'leader' ? 'e' : 'l';
      const name64 = b64(key.name);
      const tooz = this.toozLocks && key.kind === 'lock' ? toozAdvisoryKey(key.name) : undefined;
      return {
        kind: key.kind,
        name: Buffer.from(name64, 'base64'),
        lockKey: advisoryKey(this.namespace, key.kind, key.name).toString(),
        tooz: tooz && { key: tooz, id: `p${tooz[0] * 256 + tooz[1]}` },
        releasedPayload: releasedPayload(code, name64),
        acquiredPayload: acquiredPayload(code, name64, this.member64),
        topic: lockTopic(code, name64),
      };
    });
  }

  group(group: string): GroupName {
    return cached(this.groups, group, () => {
      const group64 = b64(group);
      return {
        group64,
        groupId: Buffer.from(group64, 'base64'),
        memberKey: advisoryKey(this.namespace, 'member', group, this.memberId).toString(),
        leftPayload: leftPayload(group64, this.member64),
        topic: groupTopic(group64),
      };
    });
  }
}

function cached<V>(entries: Map<string, V>, key: string, make: () => V): V {
  let value = entries.get(key);
  if (value === undefined) {
    if (entries.size >= 4_096) entries.clear();
    value = make();
    entries.set(key, value);
  }
  return value;
}
