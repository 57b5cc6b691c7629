import { InvalidArgumentError } from '../errors/errors.js';
import { DEFAULT_PARTITIONS, HashRing, isWellFormed } from './hash-ring.js';
import { pythonStr } from './python-str.js';

/** An object that names its own ring position, like Python's `__tooz_hash__`. */
export interface ToozHashable {
  toozHash(): Uint8Array;
}

export interface PartitionerOptions {
  readonly partitions?: number;
}

export interface MembersForOptions {
  readonly replicas?: number;
  readonly ignore?: Iterable<string>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `capabilities.weight` when it is a positive integer, else 1. Latest tooz gives
 * non-dict capabilities weight 1; a dict with a bad weight would crash tooz (or,
 * for 0, join with no points), so it gets 1 here too.
 */
export function weightOf(capabilities: unknown): number {
  const weight = isPlainObject(capabilities) ? capabilities.weight : undefined;
  if (typeof weight === 'number' && Number.isSafeInteger(weight) && weight > 0) return weight;
  // msgpack decodes 64-bit integers as bigint.
  if (typeof weight === 'bigint' && weight > 0n && weight <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(weight);
  return 1;
}

/** The bytes (or string, hashed as UTF-8) tooz would place `obj` by. */
function placementOf(obj: unknown): string | Uint8Array {
  if ((typeof obj === 'object' && obj !== null) || typeof obj === 'function') {
    const method: unknown = (obj as { toozHash?: unknown }).toozHash;
    if (typeof method === 'function') {
      const bytes: unknown = method.call(obj);
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('obj.toozHash()', 'must return a Uint8Array');
      return bytes;
    }
  }
  // Python tooz hashes str(obj): booleans, None, numbers and bytes are written as Python writes them.
  const text = pythonStr(obj) ?? String(obj);
  if (!isWellFormed(text)) throw new InvalidArgumentError('obj', 'does not stringify to valid UTF-8 (lone surrogate)');
  return text;
}

/**
 * Spreads objects over a group's members as `tooz.partitioner.Partitioner`
 * does, from one snapshot of the members; a membership change means a new
 * Partitioner (the ring is cheap to build).
 */
export class Partitioner {
  /** Member id → weight. */
  readonly members: ReadonlyMap<string, number>;
  readonly ring: HashRing;
  readonly self: string;

  constructor(members: ReadonlyMap<string, unknown>, self: string, options: PartitionerOptions = {}) {
    this.ring = new HashRing([], { partitions: options.partitions ?? DEFAULT_PARTITIONS });
    for (const [id, capabilities] of members) this.ring.addNode(id, weightOf(capabilities));
    this.members = this.ring.nodes;
    this.self = self;
  }

  /** Members responsible for `obj`, primary first. */
  membersFor(obj: unknown, options: MembersForOptions = {}): ReadonlySet<string> {
    return this.ring.getNodes(placementOf(obj), options);
  }

  belongsTo(obj: unknown, memberId: string, options?: MembersForOptions): boolean {
    return this.membersFor(obj, options).has(memberId);
  }

  belongsToSelf(obj: unknown, options?: MembersForOptions): boolean {
    return this.belongsTo(obj, this.self, options);
  }
}
