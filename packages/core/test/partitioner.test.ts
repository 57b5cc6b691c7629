import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors/errors.js';
import { HashRing, Partitioner, weightOf, type ToozHashable } from '../src/hashring/index.js';

// Fixture written by scripts/gen-hashring-vectors.py from Python tooz's Partitioner.
type EncodedCaps = unknown; // JSON, with bytes as { $bytes: hex }
type EncodedObj = string | number | { toozHash: string };
interface PartitionerCase {
  id: string;
  partitions: number;
  members: Array<[string, EncodedCaps]>;
  self: string;
  weights: Record<string, number>;
  len: number;
  queries: Array<{ obj: EncodedObj; replicas: number; ignore: string[]; expect: string[]; self: boolean }>;
}
const vectors = JSON.parse(readFileSync(new URL('./fixtures/hashring-vectors.json', import.meta.url), 'utf8')) as {
  partitioner: PartitionerCase[];
};

const hashable = (bytes: Uint8Array): ToozHashable => ({ toozHash: () => bytes });

function decodeCaps(caps: EncodedCaps): unknown {
  if (typeof caps === 'object' && caps !== null && '$bytes' in caps) {
    const hex = (caps as { $bytes: string }).$bytes;
    // decodeCapabilities() turns tooz 3.1's empty-bytes default into null.
    return hex === '' ? null : Buffer.from(hex, 'hex');
  }
  return caps;
}

const decodeObj = (obj: EncodedObj): unknown =>
  typeof obj === 'object' ? hashable(Buffer.from(obj.toozHash, 'hex')) : obj;

const sorted = (set: ReadonlySet<string>): string[] => [...set].sort();

describe('Partitioner: weights', () => {
  it('reads a positive integer weight from plain-object capabilities', () => {
    expect(weightOf({ weight: 3 })).toBe(3);
    expect(weightOf({ weight: 4, zone: 'eu' })).toBe(4);
    expect(weightOf({ weight: 5n })).toBe(5); // msgpack int64
    expect(weightOf(Object.assign(Object.create(null) as object, { weight: 2 }))).toBe(2);
  });

  it('gives weight 1 to anything else', () => {
    class Caps {
      weight = 7;
    }
    for (const caps of [{}, { zone: 'us' }, null, undefined, new Uint8Array(), 'text', [1, 2], 7, new Caps()]) {
      expect(weightOf(caps)).toBe(1);
    }
    for (const weight of [0, -1, 2.5, '3', Number.NaN, 0n, true]) expect(weightOf({ weight })).toBe(1);
  });

  it('builds the ring from member weights', () => {
    const members = new Map<string, unknown>([
      ['a', { weight: 5 }],
      ['b', { weight: 10 }],
      ['c', new Uint8Array()],
      ['d', null],
    ]);
    const p = new Partitioner(members, 'a');
    expect(Object.fromEntries(p.members)).toEqual({ a: 5, b: 10, c: 1, d: 1 });
    expect(p.ring.size).toBe(32 * 17);
    expect(new Partitioner(members, 'a', { partitions: 8 }).ring.size).toBe(8 * 17);
    expect(new Partitioner(new Map(), 'a').membersFor('x').size).toBe(0);
  });
});

describe('Partitioner: placement', () => {
  const members = new Map<string, unknown>(['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => [id, { weight: 1 }]));

  it('agrees with itself: members, belongsTo and belongsToSelf', () => {
    const views = [...members.keys()].map((self) => new Partitioner(members, self));
    for (let i = 0; i < 300; i++) {
      const obj = `object-${i}`;
      for (const replicas of [1, 2, 3]) {
        const owners = views[0]?.membersFor(obj, { replicas }) ?? new Set();
        expect(owners.size).toBe(replicas);
        const claimed = views.filter((view) => view.belongsToSelf(obj, { replicas })).map((view) => view.self);
        expect(claimed.sort()).toEqual(sorted(owners));
        for (const id of members.keys()) expect(views[1]?.belongsTo(obj, id, { replicas })).toBe(owners.has(id));
      }
    }
  });

  it('honours ignore', () => {
    const p = new Partitioner(members, 'm1');
    for (let i = 0; i < 100; i++) {
      const owners = p.membersFor(i, { ignore: ['m1', 'm2'], replicas: 2 });
      expect(owners.size).toBe(2);
      expect(owners.has('m1') || owners.has('m2')).toBe(false);
      expect(p.belongsToSelf(i, { ignore: ['m1'] })).toBe(false);
    }
    expect(p.membersFor('x', { ignore: members.keys() }).size).toBe(0);
  });

  it('hashes objects by toozHash(), else str(obj) as Python writes it, as UTF-8', () => {
    const p = new Partitioner(members, 'm1');
    const ring = new HashRing(members.keys());
    for (let i = 0; i < 100; i++) {
      const key = `чупакабра-${i}`;
      const bytes = new TextEncoder().encode(key);
      const custom = { toozHash: () => bytes, toString: () => 'ignored' };
      expect(p.membersFor(custom)).toEqual(ring.getNodes(bytes));
      expect(p.membersFor(key)).toEqual(ring.getNodes(bytes));
      expect(p.membersFor(i)).toEqual(ring.getNodes(String(i)));
      expect(p.membersFor({ toString: () => key })).toEqual(ring.getNodes(bytes));
    }
  });

  it("places booleans, null, numbers and bytes by Python's str() of them", () => {
    const p = new Partitioner(members, 'm1');
    const ring = new HashRing(members.keys());
    // Each pair: the value here, and str() of its Python counterpart (checked against CPython 3.11).
    const cases: Array<[unknown, string]> = [
      [true, 'True'],
      [false, 'False'],
      [null, 'None'],
      [undefined, 'None'],
      [2, '2'],
      [-7, '-7'],
      [1e22, '1e+22'],
      [12345678901234567890n, '12345678901234567890'],
      [2.5, '2.5'],
      [-0.5, '-0.5'],
      [0.1, '0.1'],
      [1e-7, '1e-07'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1234567890123456.8, '1234567890123456.8'],
      [1.5e300, '1.5e+300'],
      [5e-324, '5e-324'],
      [Number.NaN, 'nan'],
      [Number.POSITIVE_INFINITY, 'inf'],
      [Number.NEGATIVE_INFINITY, '-inf'],
      [new TextEncoder().encode('abc'), "b'abc'"],
      [Uint8Array.of(0x61, 0x62, 0x00, 0x5c, 0x27, 0x22, 0x09), String.raw`b'ab\x00\\\'"\t'`],
      [new TextEncoder().encode("it's"), `b"it's"`],
      [Uint8Array.of(0, 37, 74, 111, 148, 185, 222), String.raw`b'\x00%Jo\x94\xb9\xde'`],
    ];
    for (const [value, str] of cases) expect(p.membersFor(value), str).toEqual(ring.getNodes(str));
  });

  it('refuses a toozHash() that returns no bytes', () => {
    const p = new Partitioner(members, 'm1');
    expect(() => p.membersFor({ toozHash: () => 'text' })).toThrow(InvalidArgumentError);
  });
});

describe('Partitioner: Python tooz vectors', () => {
  it('has cases', () => {
    expect(vectors.partitioner.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of vectors.partitioner) {
    it(c.id, () => {
      const members = new Map(c.members.map(([id, caps]) => [id, decodeCaps(caps)]));
      const p = new Partitioner(members, c.self, { partitions: c.partitions });
      expect(Object.fromEntries(p.members)).toEqual(c.weights);
      expect(p.ring.size).toBe(c.len);
      for (const q of c.queries) {
        const obj = decodeObj(q.obj);
        const options = { replicas: q.replicas, ignore: q.ignore };
        expect(sorted(p.membersFor(obj, options)), JSON.stringify(q)).toEqual(q.expect);
        expect(p.belongsToSelf(obj, options)).toBe(q.self);
      }
    });
  }
});
