import * as crypto from 'node:crypto';

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

/** How a tooz key is named among the 64-bit keys the driver counts and sweeps (those are decimal numbers). */
export const toozKeyId = ([high, low]: readonly [number, number]): string => `p${high * 256 + low}`;

/**
 * The LISTEN/NOTIFY channel of a namespace. Channel names are identifiers
 * (at most 63 bytes), so the namespace is hashed into a short, fixed form.
 */
export function channelOf(namespace: string): string {
  return `tooz_${sha256(`tooz channel\u0000${namespace}`).toString('hex').slice(0, 16)}`;
}

/**
 * Remembers per-name work of the hot path (hashing, encoding). Names are
 * usually few and reused; when there are more than `max`, it starts over.
 */
export class NameCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max = 4_096) {}

  get(key: string, make: () => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= this.max) this.entries.clear();
      value = make();
      this.entries.set(key, value);
    }
    return value;
  }
}
