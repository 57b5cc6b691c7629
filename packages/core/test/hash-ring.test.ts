import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownNodeError } from '../src/errors/errors.js';
import { HashRing, nodeNameOf, type RingNode } from '../src/hashring/index.js';

// Fixture written by scripts/gen-hashring-vectors.py from Python tooz.
type Encoded = string | { hex: string };
interface Query {
  data: Encoded;
  replicas: number;
  ignore: Encoded[];
  expect: string[];
  tooz?: 'hangs' | 'IndexError';
}
type Op = ['add', Encoded[], number] | ['remove', Encoded] | ['remove', Encoded, 'UnknownNode' | 'KeyError'];
interface RingCase {
  id: string;
  hash: string;
  partitions: number;
  init: Encoded[];
  ops: Op[];
  len?: number;
  nodes: Record<string, number>;
  queries: Query[];
}
const vectors = JSON.parse(readFileSync(new URL('./fixtures/hashring-vectors.json', import.meta.url), 'utf8')) as {
  ring: RingCase[];
};

const decode = (value: Encoded): RingNode => (typeof value === 'string' ? value : Buffer.from(value.hex, 'hex'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const sorted = (set: ReadonlySet<string>): string[] => [...set].sort();
const owner = (ring: HashRing, data: string): string | undefined => [...ring.getNodes(data)][0];

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.field;
    throw error;
  }
  return undefined;
}

describe('HashRing: TOOZ.md §1.13 vectors', () => {
  it('derives point i of a node from H(key repeated i + 2 times)', () => {
    expect(md5('foofoo')).toBe('fdba98970961edb29f88241b9d99d890');
    expect(md5('foofoofoo').startsWith('216d7c02')).toBe(true);

    // Model the ring from that rule alone and check every lookup against it.
    const partitions = 3;
    const nodes = ['foo', 'bar', 'baz'];
    const points = nodes
      .flatMap((node) => Array.from({ length: partitions }, (_, i) => ({ node, point: md5(node.repeat(i + 2)) })))
      .sort((a, b) => (a.point < b.point ? -1 : 1));
    expect(points.find((p) => p.node === 'foo')?.point).toBeDefined();
    const ring = new HashRing(nodes, { partitions });
    expect(ring.size).toBe(9);
    for (let i = 0; i < 300; i++) {
      const hashed = md5(`k${i}`);
      const expected = (points.find((p) => p.point > hashed) ?? points[0])?.node;
      expect(owner(ring, `k${i}`)).toBe(expected);
    }
  });

  it('places the documented keys on {foo, bar, baz}', () => {
    const ring = new HashRing(['foo', 'bar', 'baz']);
    expect(ring.size).toBe(96);
    expect(sorted(ring.getNodes('fake'))).toEqual(['foo']);
    expect(sorted(ring.getNodes('fake', { replicas: 2 }))).toEqual(['bar', 'foo']);
    expect(sorted(ring.getNodes('fake', { ignore: ['foo'] }))).toEqual(['bar']);
    expect(sorted(ring.getNodes('fake-again'))).toEqual(['bar']);
    expect(sorted(ring.getNodes('fake-again', { replicas: 2 }))).toEqual(['bar', 'baz']);
    expect(sorted(ring.getNodes('chupacabra'))).toEqual(['baz']);
    expect(sorted(ring.getNodes('chupacabra', { replicas: 2 }))).toEqual(['baz', 'foo']);
    expect(sorted(ring.getNodes(utf8('чупакабра')))).toEqual(['bar']);
    expect(sorted(ring.getNodes('чупакабра', { replicas: 2 }))).toEqual(['bar', 'baz']);
  });

  it('places b"fake" with sha256', () => {
    expect(sorted(new HashRing(['foo', 'bar'], { hash: 'sha256' }).getNodes(utf8('fake')))).toEqual(['bar']);
  });

  it('places b"obj" on weighted byte nodes', () => {
    const ring = new HashRing();
    ring.addNode(utf8('member-1'), 2);
    ring.addNode(utf8('member-2'));
    expect(ring.size).toBe(96);
    expect(sorted(ring.getNodes(utf8('obj')))).toEqual(['member-2']);
  });
});

describe('HashRing: Python tooz vectors', () => {
  it(`has at least 250 cases`, () => {
    expect(vectors.ring.length).toBeGreaterThanOrEqual(250);
  });

  for (const c of vectors.ring) {
    it(c.id, () => {
      const ring = new HashRing(c.init.map(decode), { partitions: c.partitions, hash: c.hash });
      for (const op of c.ops) {
        if (op[0] === 'add') {
          ring.addNodes(op[1].map(decode), op[2]);
        } else if (op[2] === 'UnknownNode') {
          expect(() => ring.removeNode(decode(op[1]))).toThrow(UnknownNodeError);
        } else {
          // 'KeyError': tooz corrupts its ring here; we finish the removal.
          ring.removeNode(decode(op[1]));
        }
      }
      expect(Object.fromEntries(ring.nodes)).toEqual(c.nodes);
      if (c.len !== undefined) expect(ring.size).toBe(c.len);
      else expect(ring.size).toBe(0);
      for (const q of c.queries) {
        const options = { replicas: q.replicas, ignore: q.ignore.map(decode) };
        const data = decode(q.data);
        expect(sorted(ring.getNodes(data, options)), JSON.stringify(q)).toEqual(q.expect);
        if (typeof data === 'string') expect(sorted(ring.getNodes(utf8(data), options))).toEqual(q.expect);
      }
    });
  }
});

describe('HashRing: points and nodes', () => {
  it('gives each node partitions × weight points', () => {
    const ring = new HashRing(['foo', 'bar']);
    expect(ring.size).toBe(64);
    ring.addNode('baz', 10);
    expect(ring.size).toBe(32 * 12);
    expect(ring.nodes.get('baz')).toBe(10);
    ring.addNodes(['qux', 'quux'], 10);
    expect(ring.size).toBe(32 * 32);
    expect(new HashRing(['a', 'b', 'c'], { partitions: 1 }).size).toBe(3);
  });

  it('removes nodes and refuses unknown ones', () => {
    const ring = new HashRing(['foo', 'bar']);
    ring.removeNode('bar');
    expect([...ring.nodes.keys()]).toEqual(['foo']);
    expect(ring.size).toBe(32);
    expect(sorted(ring.getNodes('anything', { replicas: 3 }))).toEqual(['foo']);
    const error = (() => {
      try {
        ring.removeNode('biz');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownNodeError);
    expect((error as UnknownNodeError).node).toBe('biz');
    ring.removeNode('foo');
    expect(ring.size).toBe(0);
    expect(ring.getNodes('anything').size).toBe(0);
  });

  it('names byte nodes by their UTF-8, escaping invalid bytes as Python does', () => {
    const raw = Buffer.from('5ae2fa90174543acae88a75ba17d3a45', 'hex');
    const ring = new HashRing(['foo', raw]);
    expect(ring.size).toBe(64);
    const name = 'Z\\xe2\\xfa\\x90\x17EC\\xac\\xae\\x88\\xa7[\\xa1}:E';
    expect(ring.nodes.has(name)).toBe(true);
    expect(() => ring.addNode(name)).toThrow(InvalidArgumentError); // same name, other bytes
    expect(() => ring.removeNode(name)).toThrow(UnknownNodeError);
    ring.removeNode(raw);
    expect([...ring.nodes.keys()]).toEqual(['foo']);

    // Expected strings are Python's bytes.decode('utf-8', 'backslashreplace').
    const cases: Array<[string, string]> = [
      ['fffe', '\\xff\\xfe'],
      ['7472756e63e282', 'trunc\\xe2\\x82'],
      ['626164eda080', 'bad\\xed\\xa0\\x80'],
      ['f09fa684f09f', '🦄\\xf0\\x9f'],
      ['efbbbf626f6d', '\ufeffbom'],
      ['c0af', '\\xc0\\xaf'],
      ['f4908080', '\\xf4\\x90\\x80\\x80'],
    ];
    for (const [hex, expected] of cases) expect(nodeNameOf(Buffer.from(hex, 'hex'))).toBe(expected);
  });

  it('treats a string and its UTF-8 bytes as one node', () => {
    const ring = new HashRing(['узел']);
    ring.addNode(utf8('узел'));
    expect(ring.size).toBe(32);
    ring.removeNode(utf8('узел'));
    expect(ring.nodes.size).toBe(0);
  });

  it('returns the primary owner first', () => {
    const ring = new HashRing(['n1', 'n2', 'n3', 'n4']);
    for (let i = 0; i < 100; i++) {
      expect([...ring.getNodes(`k${i}`, { replicas: 3 })][0]).toBe(owner(ring, `k${i}`));
    }
  });
});

describe('HashRing: ignore and replicas', () => {
  const ring = new HashRing(['foo', 'bar', 'baz']);

  it('skips ignored nodes and caps replicas at the nodes left', () => {
    expect(sorted(ring.getNodes('fake', { ignore: ['foo', 'bar'] }))).toEqual(['baz']);
    expect(ring.getNodes('fake', { ignore: ['foo', 'bar', 'baz'] }).size).toBe(0);
    expect(ring.getNodes('fake', { ignore: ['foo'], replicas: 5 }).size).toBe(2);
    expect(ring.getNodes('fake', { replicas: 10 }).size).toBe(3);
    expect(ring.getNodes('fake', { replicas: 0 }).size).toBe(0);
  });

  it('ignores nodes that are not on the ring', () => {
    expect(sorted(ring.getNodes('fake', { ignore: ['nope', utf8('nada')] }))).toEqual(['foo']);
  });

  it('moves an ignored owner to the next one clockwise', () => {
    for (let i = 0; i < 200; i++) {
      const [first, second] = [...ring.getNodes(`k${i}`, { replicas: 2 })];
      expect(owner(ring, `k${i}`)).toBe(first);
      expect([...ring.getNodes(`k${i}`, { ignore: [first ?? ''] })]).toEqual([second]);
    }
  });
});

describe('HashRing: invalid arguments', () => {
  it('names the offending field', () => {
    expect(fieldOf(() => new HashRing([], { hash: 'fold twice and leave to dry' }))).toBe('options.hash');
    expect(fieldOf(() => new HashRing([], { hash: 'shake128' }))).toBe('options.hash');
    for (const partitions of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(fieldOf(() => new HashRing([], { partitions }))).toBe('options.partitions');
    }
    const ring = new HashRing(['a']);
    for (const weight of [0, -2, 2.5]) expect(fieldOf(() => ring.addNode('b', weight))).toBe('weight');
    expect(fieldOf(() => ring.addNode('\uD800'))).toBe('node');
    expect(fieldOf(() => ring.getNodes('x', { replicas: -1 }))).toBe('options.replicas');
    expect(fieldOf(() => ring.getNodes('\uDC00'))).toBe('data');
    expect([...ring.nodes.keys()]).toEqual(['a']); // failed adds leave the ring alone
  });

  it('accepts hashlib spellings of node:crypto hashes', () => {
    const python = new HashRing(['foo', 'bar', 'baz'], { hash: 'sha3_256' });
    const node = new HashRing(['foo', 'bar', 'baz'], { hash: 'sha3-256' });
    expect(python.hash).toBe('sha3-256');
    for (let i = 0; i < 50; i++) expect(python.getNodes(`k${i}`)).toEqual(node.getNodes(`k${i}`));
  });
});

describe('HashRing: rebalance stability', () => {
  // tooz's version compares one dict entry ('node') and so always passes;
  // this one compares all 10,000 keys.
  const services = Array.from({ length: 10 }, (_, i) => String(i));
  const keys = Array.from({ length: 10_000 }, (_, i) => String(i));
  const before = new HashRing(services);
  const owners = new Map(keys.map((key) => [key, owner(before, key)]));
  const moved = (after: HashRing): string[] => keys.filter((key) => owner(after, key) !== owners.get(key));

  it('moves only keys the joining node takes, fewer than 1/N of them', () => {
    const after = new HashRing([...services, 'new']);
    const changed = moved(after);
    // Consistent hashing: nothing moves between old nodes, and the new node gets its keys from all of them.
    expect(changed.every((key) => owner(after, key) === 'new')).toBe(true);
    expect(changed.length).toBe(keys.filter((key) => owner(after, key) === 'new').length);
    expect(changed.length).toBeLessThan(keys.length / services.length);
    expect(changed.length).toBeGreaterThan(keys.length / (4 * (services.length + 1)));
    expect(changed.length).toBe(807); // what Python tooz computes for the same rings
  });

  it('moves only the leaving node keys, fewer than 1/N of them', () => {
    const after = new HashRing(services.slice(0, -1));
    const changed = moved(after);
    const leaving = keys.filter((key) => owners.get(key) === '9');
    expect(changed).toEqual(leaving);
    expect(changed.length).toBeLessThan(keys.length / services.length);
    expect(changed.length).toBeGreaterThan(keys.length / (4 * services.length));
    expect(changed.length).toBe(683); // what Python tooz computes for the same rings
  });

  it('is the same ring whatever order nodes join in', () => {
    const shuffled = new HashRing();
    for (const service of [...services].reverse()) shuffled.addNode(service);
    expect(moved(shuffled)).toEqual([]);
  });
});
