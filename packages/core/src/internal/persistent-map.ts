/**
 * An immutable map from strings, as a hash array mapped trie (HAMT): `set`
 * and `delete` return a new map that shares every untouched branch with the
 * old one, in O(log32 n), so a group view can hand out a snapshot per change
 * without copying the group. Old versions never change.
 *
 * Iteration order is the order of the keys' hashes, not insertion order:
 * the same for every map holding the same keys.
 */

/** 32-bit hash of a key; swappable so tests can force collisions. */
export type KeyHash = (key: string) => number;

const LEAF = 0;
const BRANCH = 1;
const COLLISION = 2;

interface Leaf<V> {
  readonly kind: typeof LEAF;
  readonly hash: number;
  readonly key: string;
  readonly value: V;
}

/** Children present at the set bits of `bitmap`, in bit order. */
interface Branch<V> {
  readonly kind: typeof BRANCH;
  readonly bitmap: number;
  readonly children: readonly Node<V>[];
}

/** Keys whose whole 32-bit hashes are equal. */
interface Collision<V> {
  readonly kind: typeof COLLISION;
  readonly hash: number;
  readonly leaves: readonly Leaf<V>[];
}

type Node<V> = Leaf<V> | Branch<V> | Collision<V>;

/** FNV-1a with murmur3's finaliser, so that every 5-bit slice of the hash is well spread. */
export function stringHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const leaf = <V>(hash: number, key: string, value: V): Leaf<V> => ({ kind: LEAF, hash, key, value });
const branch = <V>(bitmap: number, children: readonly Node<V>[]): Branch<V> => ({ kind: BRANCH, bitmap, children });

function hashOf<V>(node: Leaf<V> | Collision<V>): number {
  return node.hash;
}

/** A node holding `a` (a leaf or collision) and the new leaf `b`, whose hashes agree below `shift`. */
function join<V>(a: Leaf<V> | Collision<V>, b: Leaf<V>, shift: number): Node<V> {
  const ha = hashOf(a);
  if (ha === b.hash) {
    return { kind: COLLISION, hash: ha, leaves: a.kind === LEAF ? [a, b] : [...a.leaves, b] };
  }
  const ia = (ha >>> shift) & 31;
  const ib = (b.hash >>> shift) & 31;
  // Hashes differ, so some 5-bit slice up to shift 30 (which holds the last 2 bits) tells them apart.
  if (ia === ib) return branch(1 << ia, [join(a, b, shift + 5)]);
  return branch((1 << ia) | (1 << ib), ia < ib ? [a, b] : [b, a]);
}

function lookup<V>(node: Node<V> | undefined, hash: number, key: string): Leaf<V> | undefined {
  let shift = 0;
  while (node !== undefined) {
    if (node.kind === LEAF) return node.key === key ? node : undefined;
    if (node.kind === COLLISION) {
      if (node.hash !== hash) return undefined;
      for (const candidate of node.leaves) if (candidate.key === key) return candidate;
      return undefined;
    }
    const bit = 1 << ((hash >>> shift) & 31);
    if ((node.bitmap & bit) === 0) return undefined;
    node = node.children[popcount(node.bitmap & (bit - 1))];
    shift += 5;
  }
  return undefined;
}

/** Set by `insert` when the key was new: the caller's size grows. */
let grew = false;

function insert<V>(node: Node<V> | undefined, shift: number, added: Leaf<V>): Node<V> {
  if (node === undefined) {
    grew = true;
    return added;
  }
  if (node.kind === LEAF) {
    if (node.key === added.key) return Object.is(node.value, added.value) ? node : added;
    grew = true;
    return join(node, added, shift);
  }
  if (node.kind === COLLISION) {
    if (node.hash !== added.hash) {
      grew = true;
      return join(node, added, shift);
    }
    const at = node.leaves.findIndex((candidate) => candidate.key === added.key);
    if (at < 0) {
      grew = true;
      return { kind: COLLISION, hash: node.hash, leaves: [...node.leaves, added] };
    }
    if (Object.is(node.leaves[at]?.value, added.value)) return node;
    const leaves = node.leaves.slice();
    leaves[at] = added;
    return { kind: COLLISION, hash: node.hash, leaves };
  }
  const bit = 1 << ((added.hash >>> shift) & 31);
  const index = popcount(node.bitmap & (bit - 1));
  if ((node.bitmap & bit) === 0) {
    grew = true;
    const children = node.children.slice();
    children.splice(index, 0, added);
    return branch(node.bitmap | bit, children);
  }
  const child = node.children[index];
  const next = insert(child, shift + 5, added);
  if (next === child) return node;
  const children = node.children.slice();
  children[index] = next;
  return branch(node.bitmap, children);
}

/** The node without `key` (undefined once empty); the same node when `key` is absent. */
function remove<V>(node: Node<V>, shift: number, hash: number, key: string): Node<V> | undefined {
  if (node.kind === LEAF) return node.key === key ? undefined : node;
  if (node.kind === COLLISION) {
    if (node.hash !== hash) return node;
    const leaves = node.leaves.filter((candidate) => candidate.key !== key);
    if (leaves.length === node.leaves.length) return node;
    return leaves.length === 1 ? leaves[0] : { kind: COLLISION, hash: node.hash, leaves };
  }
  const bit = 1 << ((hash >>> shift) & 31);
  if ((node.bitmap & bit) === 0) return node;
  const index = popcount(node.bitmap & (bit - 1));
  const child = node.children[index] as Node<V>;
  const next = remove(child, shift + 5, hash, key);
  if (next === child) return node;
  if (next === undefined) {
    if (node.children.length === 1) return undefined;
    const children = node.children.slice();
    children.splice(index, 1);
    // A lone leaf or collision is found by its hash at any depth, so it moves up; a lone branch cannot.
    const only = children[0] as Node<V>;
    if (children.length === 1 && only.kind !== BRANCH) return only;
    return branch(node.bitmap & ~bit, children);
  }
  if (node.children.length === 1 && next.kind !== BRANCH) return next;
  const children = node.children.slice();
  children[index] = next;
  return branch(node.bitmap, children);
}

function each<V>(node: Node<V> | undefined, visit: (leaf: Leaf<V>) => void): void {
  if (node === undefined) return;
  if (node.kind === LEAF) visit(node);
  else if (node.kind === COLLISION) for (const entry of node.leaves) visit(entry);
  else for (const child of node.children) each(child, visit);
}

/** Depth-first over the trie with an explicit stack: nested `yield*` would cost a frame per level per entry. */
function* leaves<V>(root: Node<V> | undefined): Generator<Leaf<V>, undefined, unknown> {
  if (root === undefined) return undefined;
  const nodes: Node<V>[] = [root];
  while (nodes.length > 0) {
    const node = nodes.pop() as Node<V>;
    if (node.kind === LEAF) yield node;
    else if (node.kind === COLLISION) yield* node.leaves;
    else for (let i = node.children.length - 1; i >= 0; i--) nodes.push(node.children[i] as Node<V>);
  }
  return undefined;
}

export class PersistentMap<K extends string, V> implements ReadonlyMap<K, V> {
  readonly #root: Node<V> | undefined;
  readonly #size: number;
  readonly #hash: KeyHash;

  private constructor(root: Node<V> | undefined, size: number, hash: KeyHash) {
    this.#root = root;
    this.#size = size;
    this.#hash = hash;
  }

  /** An empty map; `hash` replaces the key hash (tests use it to force collisions). */
  static empty<K extends string, V>(hash: KeyHash = stringHash): PersistentMap<K, V> {
    return new PersistentMap<K, V>(undefined, 0, hash);
  }

  static from<K extends string, V>(entries: Iterable<readonly [K, V]>, hash?: KeyHash): PersistentMap<K, V> {
    let map = PersistentMap.empty<K, V>(hash);
    for (const [key, value] of entries) map = map.set(key, value);
    return map;
  }

  get size(): number {
    return this.#size;
  }

  get(key: K): V | undefined {
    return lookup(this.#root, this.#hash(key), key)?.value;
  }

  has(key: K): boolean {
    return lookup(this.#root, this.#hash(key), key) !== undefined;
  }

  /** A map with `key` set to `value`; this map itself when it already holds that value. */
  set(key: K, value: V): PersistentMap<K, V> {
    grew = false;
    const root = insert(this.#root, 0, leaf(this.#hash(key), key, value));
    if (root === this.#root) return this;
    return new PersistentMap(root, grew ? this.#size + 1 : this.#size, this.#hash);
  }

  /** A map without `key`; this map itself when `key` is absent. */
  delete(key: K): PersistentMap<K, V> {
    if (this.#root === undefined) return this;
    const root = remove(this.#root, 0, this.#hash(key), key);
    if (root === this.#root) return this;
    return new PersistentMap(root, this.#size - 1, this.#hash);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    each(this.#root, (entry) => callback.call(thisArg, entry.value, entry.key as K, this));
  }

  *entries(): MapIterator<[K, V]> {
    for (const entry of leaves(this.#root)) yield [entry.key as K, entry.value];
    return undefined;
  }

  *keys(): MapIterator<K> {
    for (const entry of leaves(this.#root)) yield entry.key as K;
    return undefined;
  }

  *values(): MapIterator<V> {
    for (const entry of leaves(this.#root)) yield entry.value;
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  /** 'Map', so that test matchers and `Object.prototype.toString` compare it with Maps by content. */
  get [Symbol.toStringTag](): string {
    return 'Map';
  }

  /** Prints like a Map in `console.log` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (v: unknown, o: object) => string,
  ): string {
    return inspect(new Map(this), options);
  }
}
