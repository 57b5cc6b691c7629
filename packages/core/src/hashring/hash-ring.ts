import { createHash, getHashes } from 'node:crypto';
import { InvalidArgumentError, UnknownNodeError } from '../errors/errors.js';
import { PersistentMap } from '../internal/persistent-map.js';
import { RingPoints } from './ring-points.js';

/**
 * A node as callers may name it. Strings hash as their UTF-8 bytes, byte arrays
 * as-is, so `'a'` and `Uint8Array [0x61]` have the same ring points (as in tooz).
 *
 * Representation: every node is known by a string name. A string is its own name;
 * bytes are named by their UTF-8 decoding, and bytes that are not valid UTF-8 by
 * Python's `bytes.decode('utf-8', 'backslashreplace')` (`b'Z\xe2'` → `'Z\\xe2'`),
 * so ids that tooz members wrote as bytes read the same on both sides. Unlike
 * Python, `'a'` and `b'a'` are therefore one node, not two; a name already held
 * by other bytes (`'Z\\xe2'` vs `b'Z\xe2'`) is refused rather than guessed at.
 */
export type RingNode = string | Uint8Array;

export interface HashRingOptions {
  /** Points per unit of weight; tooz's `partitions`. Default 32. */
  readonly partitions?: number;
  /** A `crypto.getHashes()` name, or a Python hashlib spelling such as `sha3_256`. Default `md5`. */
  readonly hash?: string;
}

export interface GetNodesOptions {
  /** How many distinct nodes to return; capped at the number of nodes not ignored. Default 1. */
  readonly replicas?: number;
  readonly ignore?: Iterable<RingNode>;
}

export const DEFAULT_PARTITIONS = 32;
export const DEFAULT_HASH = 'md5';

// hashlib names whose node:crypto spelling differs; the digests are the same.
const PYTHON_HASH_NAMES: ReadonlyMap<string, string> = new Map([
  ['sha3_224', 'sha3-224'],
  ['sha3_256', 'sha3-256'],
  ['sha3_384', 'sha3-384'],
  ['sha3_512', 'sha3-512'],
  ['sha512_224', 'sha512-224'],
  ['sha512_256', 'sha512-256'],
  ['blake2b', 'blake2b512'],
  ['blake2s', 'blake2s256'],
]);

let available: ReadonlySet<string> | undefined;

function resolveHash(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidArgumentError('options.hash', 'must be a string');
  const resolved = PYTHON_HASH_NAMES.get(name) ?? name;
  available ??= new Set(getHashes());
  // XOFs have no fixed digest length, which ordering points as hex strings relies on
  // (and tooz cannot use them either: their hexdigest() needs a length).
  if (!available.has(resolved) || /^shake/i.test(resolved)) {
    throw new InvalidArgumentError('options.hash', `"${name}" is not a supported hash function`);
  }
  return resolved;
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(field, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Length of the well-formed UTF-8 sequence at `i`, or 0 (Unicode Table 3-7, as Python's decoder). */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return 1;
  const cont = (at: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[at];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const lo = lead === 0xe0 ? 0xa0 : 0x80;
    const hi = lead === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const lo = lead === 0xf0 ? 0x90 : 0x80;
    const hi = lead === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** Python's `bytes.decode('utf-8', 'backslashreplace')`. */
export function nodeNameOf(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    let out = '';
    let run = 0;
    for (let i = 0; i < bytes.length; ) {
      const length = sequenceLength(bytes, i);
      if (length > 0) {
        i += length;
        continue;
      }
      out += `${strictUtf8.decode(bytes.subarray(run, i))}\\x${(bytes[i] ?? 0).toString(16).padStart(2, '0')}`;
      run = ++i;
    }
    return out + strictUtf8.decode(bytes.subarray(run));
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed`, which the ES2023 lib does not declare: no UTF-8 encoding otherwise. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function nameOf(node: RingNode, field: string): string {
  if (node instanceof Uint8Array) return nodeNameOf(node);
  if (typeof node !== 'string') throw new InvalidArgumentError(field, 'must be a string or a Uint8Array');
  if (!isWellFormed(node)) throw new InvalidArgumentError(field, 'is not valid UTF-8 (lone surrogate)');
  return node;
}

function keyOf(node: RingNode): Buffer {
  return node instanceof Uint8Array ? Buffer.from(node) : Buffer.from(node, 'utf8');
}

/**
 * Consistent hash ring placing data on nodes exactly as Python's
 * `tooz.hashring.HashRing` does, so TypeScript and Python members agree on owners.
 *
 * Points are lowercase hex digests: all digests of one algorithm have the same
 * length, so string order is tooz's integer order without BigInt.
 *
 * The state is immutable underneath (persistent maps, chunked point lists):
 * adding or removing one node costs its own points plus O(points / 128), not
 * a copy of the ring, and `clone()` is O(1).
 */
export class HashRing {
  /** Points per unit of weight each node gets on the ring (tooz's default is 32). */
  readonly partitions: number;
  /** The node:crypto name of the hash function. */
  readonly hash: string;

  #weights = PersistentMap.empty<string, number>();
  #keys = PersistentMap.empty<string, Buffer>();
  /** Each node's points, sorted, as its last add computed them: a removal needs no hashing. */
  #nodePoints = PersistentMap.empty<string, readonly string[]>();
  /** point → owner, in point order; like tooz's dict, the last node to claim a point owns it. */
  #points = RingPoints.EMPTY;

  constructor(nodes: Iterable<RingNode> = [], options: HashRingOptions = {}) {
    this.partitions = positiveInteger(options.partitions ?? DEFAULT_PARTITIONS, 'options.partitions');
    this.hash = resolveHash(options.hash ?? DEFAULT_HASH);
    // tooz adds set(nodes), whose order Python randomises per process; only
    // colliding points could tell the difference, and here iteration order decides.
    this.addNodes(nodes);
  }

  /** Node name → weight: a snapshot, which later changes to the ring leave as it is. */
  get nodes(): ReadonlyMap<string, number> {
    return this.#weights;
  }

  /** Number of points on the ring (Python's `len(ring)`). */
  get size(): number {
    return this.#points.size;
  }

  /** An independent copy, in O(1): the two share their (immutable) state until either changes. */
  clone(): HashRing {
    const copy = new HashRing([], { partitions: this.partitions, hash: this.hash });
    copy.#weights = this.#weights;
    copy.#keys = this.#keys;
    copy.#nodePoints = this.#nodePoints;
    copy.#points = this.#points;
    return copy;
  }

  /** Adds `node` with `weight` (its share of points relative to other nodes); a node already present is re-weighted. */
  addNode(node: RingNode, weight = 1): void {
    this.addNodes([node], weight);
  }

  /**
   * Adds nodes with the same weight. Re-adding a node rewrites its first
   * `partitions × weight` points and its weight, as tooz does: a lower weight
   * leaves its former extra points on the ring.
   */
  addNodes(nodes: Iterable<RingNode>, weight = 1): void {
    positiveInteger(weight, 'weight');
    // Validate the whole batch first so a bad node leaves the ring untouched.
    // Repeats stay in order: with colliding points, the last claim wins, as in tooz.
    const keys = new Map<string, Buffer>();
    const resolved: Array<[string, Buffer]> = [];
    for (const node of nodes) {
      const name = nameOf(node, 'node');
      const key = keyOf(node);
      const known = this.#keys.get(name) ?? keys.get(name);
      if (known !== undefined && !known.equals(key)) {
        throw new InvalidArgumentError('node', `"${name}" already names a node with different bytes`);
      }
      keys.set(name, key);
      resolved.push([name, key]);
    }
    // Later claims of a point overwrite earlier ones, here as on the ring.
    const claims = new Map<string, string>();
    for (const [name, key] of resolved) {
      const own = [...this.#pointsOf(key, weight)];
      for (const point of own) claims.set(point, name);
      this.#nodePoints = this.#nodePoints.set(name, [...new Set(own)].sort());
      this.#weights = this.#weights.set(name, weight);
      this.#keys = this.#keys.set(name, key);
    }
    const points = [...claims.keys()].sort();
    this.#points = this.#points.with(
      points,
      points.map((point) => claims.get(point) as string),
    );
  }

  /**
   * Removes a node and deletes the points it computes to, even those a later
   * node took over after a collision (tooz does the same).
   */
  removeNode(node: RingNode): void {
    const name = nameOf(node, 'node');
    const key = this.#keys.get(name);
    const points = this.#nodePoints.get(name);
    if (key === undefined || points === undefined || !key.equals(keyOf(node))) throw new UnknownNodeError(name);
    this.#weights = this.#weights.delete(name);
    this.#keys = this.#keys.delete(name);
    this.#nodePoints = this.#nodePoints.delete(name);
    // tooz raises KeyError half-way (leaving its ring corrupt) when an earlier removal
    // already deleted a shared point; skipping the missing point is the only sane reading.
    this.#points = this.#points.without(points);
  }

  /**
   * The nodes `data` maps onto, primary owner first. Strings hash as UTF-8.
   * Where tooz would loop forever or crash (nodes that lost all their points to
   * collisions), this returns the owners found in one turn of the ring.
   */
  getNodes(data: string | Uint8Array, options: GetNodesOptions = {}): ReadonlySet<string> {
    if (typeof data === 'string' && !isWellFormed(data)) {
      throw new InvalidArgumentError('data', 'is not valid UTF-8 (lone surrogate)');
    }
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new InvalidArgumentError('data', 'must be a string or a Uint8Array');
    }
    const replicas = options.replicas ?? 1;
    if (!Number.isSafeInteger(replicas) || replicas < 0) {
      throw new InvalidArgumentError('options.replicas', `must be a non-negative integer, got ${String(replicas)}`);
    }
    const ignore = new Set<string>();
    if (options.ignore) for (const node of options.ignore) ignore.add(nameOf(node, 'options.ignore'));

    // Count from the ignore side so a lookup stays O(log points), not O(nodes).
    let candidates = this.#weights.size;
    for (const name of ignore) if (this.#weights.has(name)) candidates--;
    const wanted = Math.min(replicas, candidates);
    const found = new Set<string>();
    if (wanted === 0 || this.#points.size === 0) return found;
    this.#points.walk(createHash(this.hash).update(data).digest('hex'), (owner) => {
      if (!ignore.has(owner)) found.add(owner);
      return found.size < wanted;
    });
    return found;
  }

  /** Point i is H(key × (i + 2)); one running hash copied per point keeps this linear. */
  *#pointsOf(key: Buffer, weight: number): Generator<string> {
    const running = createHash(this.hash).update(key);
    for (let i = 0; i < this.partitions * weight; i++) {
      running.update(key);
      yield running.copy().digest('hex');
    }
  }
}
