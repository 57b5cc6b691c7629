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

/** A ring handed to the next `new Partitioner`, which adopts it instead of building one. */
let adopted: HashRing | undefined;

/**
 * A Partitioner over `ring` as it is, in O(1); the ring becomes the
 * partitioner's own. Core derives each membership change's Partitioner this
 * way, from a ring updated in place of a rebuild, without widening the
 * public constructor.
 */
export function partitionerOver(ring: HashRing, self: string): Partitioner {
  adopted = ring;
  try {
    return new Partitioner(new Map(), self);
  } finally {
    adopted = undefined;
  }
}

/**
 * Spreads objects over a group's members as `tooz.partitioner.Partitioner`
 * does, from one snapshot of the members; a membership change means a new
 * Partitioner (`group.partitioner()` derives it from the previous ring,
 * adding or removing only the changed member's points).
 */
export class Partitioner {
  /** The hash ring of the members this partitioner was built from. */
  readonly ring: HashRing;
  /** This member's id, for {@link Partitioner.belongsToSelf}. */
  readonly self: string;

  constructor(members: ReadonlyMap<string, unknown>, self: string, options: PartitionerOptions = {}) {
    if (adopted) this.ring = adopted;
    else {
      this.ring = new HashRing([], { partitions: options.partitions ?? DEFAULT_PARTITIONS });
      // Runs of equal weight go in as one batch (one merge into the ring), in member order as before.
      let run: string[] = [];
      let runWeight = 0;
      for (const [id, capabilities] of members) {
        const weight = weightOf(capabilities);
        if (weight !== runWeight && run.length > 0) {
          this.ring.addNodes(run, runWeight);
          run = [];
        }
        run.push(id);
        runWeight = weight;
      }
      if (run.length > 0) this.ring.addNodes(run, runWeight);
    }
    this.self = self;
  }

  /** Member id → weight. */
  get members(): ReadonlyMap<string, number> {
    return this.ring.nodes;
  }

  /** Members responsible for `obj`, primary first. */
  membersFor(obj: unknown, options: MembersForOptions = {}): ReadonlySet<string> {
    return this.ring.getNodes(placementOf(obj), options);
  }

  /** Whether `obj` is assigned to `memberId` (among its `replicas`, when given), as tooz's `belongs_to_member`. */
  belongsTo(obj: unknown, memberId: string, options?: MembersForOptions): boolean {
    return this.membersFor(obj, options).has(memberId);
  }

  /** Whether `obj` is assigned to this member, as tooz's `belongs_to_self`. */
  belongsToSelf(obj: unknown, options?: MembersForOptions): boolean {
    return this.belongsTo(obj, this.self, options);
  }
}
