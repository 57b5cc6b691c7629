import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type KeyHash, PersistentMap, stringHash } from '../src/internal/persistent-map.js';

/** mulberry32: a seeded generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const contents = <V>(map: ReadonlyMap<string, V>): Array<[string, V]> =>
  [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Every read a ReadonlyMap offers agrees with `expected`. */
function expectSame<V>(map: PersistentMap<string, V>, expected: ReadonlyMap<string, V>): void {
  expect(map.size).toBe(expected.size);
  const want = contents(expected);
  expect(contents(map)).toEqual(want);
  expect([...map.keys()].sort()).toEqual(want.map(([key]) => key));
  expect([...map.values()].length).toBe(expected.size);
  expect([...map.entries()].length).toBe(expected.size);
  const visited: Array<[string, V]> = [];
  map.forEach((value, key, self) => {
    expect(self).toBe(map);
    visited.push([key, value]);
  });
  expect(visited.length).toBe(expected.size);
  for (const [key, value] of expected) {
    expect(map.has(key)).toBe(true);
    expect(map.get(key)).toBe(value);
  }
}

// Hashes that crowd keys together: every trie depth, the last 2-bit level, and whole-hash collisions.
const HASHES: Record<string, KeyHash> = {
  default: stringHash,
  'eight buckets': (key) => stringHash(key) & 7,
  'top two bits only': (key) => stringHash(key) & 0xc0000000,
  'all equal': () => 0x12345678,
  'same low 30 bits': (key) => (stringHash(key) & 0xc0000000) | 0x2aaaaaaa,
};

describe('PersistentMap', () => {
  it('reads like a Map', () => {
    const map = PersistentMap.from<string, number>([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expectSame(
      map,
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]),
    );
    expect(map.get('z')).toBeUndefined();
    expect(map.has('z')).toBe(false);
    expect(new Map(map)).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]),
    );
    expect(PersistentMap.empty().size).toBe(0);
    expect([...PersistentMap.empty()]).toEqual([]);
  });

  it('compares by content in matchers whatever the history, and prints like a Map', () => {
    const map = PersistentMap.from([['x', { weight: 2 }]]);
    expect(map).toEqual(PersistentMap.from([['x', { weight: 2 }]]));
    expect(map).not.toEqual(PersistentMap.from([['x', { weight: 3 }]]));
    // Not a Map instance: matchers compare constructors, so tests copy it into one first.
    expect(new Map(map)).toEqual(new Map([['x', { weight: 2 }]]));
    const all = (hash: KeyHash) =>
      PersistentMap.from(
        ['a', 'b', 'c', 'd'].map((k) => [k, k]),
        hash,
      );
    expect(
      all(() => 1)
        .delete('a')
        .set('a', 'a'),
    ).toEqual(all(() => 1));
    expect(Object.prototype.toString.call(map)).toBe('[object Map]');
    expect(inspect(map)).toBe(inspect(new Map([['x', { weight: 2 }]])));
  });

  it('returns itself for a change that changes nothing', () => {
    const value = { weight: 1 };
    const map = PersistentMap.from<string, { weight: number }>([['a', value]]);
    expect(map.set('a', value)).toBe(map);
    expect(map.delete('missing')).toBe(map);
    expect(map.set('a', { weight: 1 })).not.toBe(map);
    expect(PersistentMap.empty().delete('a').size).toBe(0);
  });

  it('keeps values stored under keys with equal hashes apart', () => {
    // A real stringHash collision, found by brute force (a birthday search: about 80,000 random keys).
    const next = random(42);
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 500_000 && pair === undefined; i++) {
      // Two draws: one has only 32 bits, and a repeated key is no collision.
      const key = `member-${Math.floor(next() * 2 ** 32).toString(36)}-${Math.floor(next() * 2 ** 32).toString(36)}`;
      const other = seen.get(stringHash(key));
      if (other !== undefined && other !== key) pair = [other, key];
      seen.set(stringHash(key), key);
    }
    if (pair === undefined) throw new Error('no stringHash collision among 500,000 keys');
    const [a, b] = pair;
    expect(stringHash(a)).toBe(stringHash(b));
    const both = PersistentMap.empty<string, string>().set(a, 'A').set(b, 'B').set('other', 'O');
    expectSame(
      both,
      new Map([
        [a, 'A'],
        [b, 'B'],
        ['other', 'O'],
      ]),
    );
    expectSame(
      both.set(a, 'A2'),
      new Map([
        [a, 'A2'],
        [b, 'B'],
        ['other', 'O'],
      ]),
    );
    expectSame(
      both.delete(a),
      new Map([
        [b, 'B'],
        ['other', 'O'],
      ]),
    );
    expectSame(both.delete(b).delete(a), new Map([['other', 'O']]));
    expectSame(
      both,
      new Map([
        [a, 'A'],
        [b, 'B'],
        ['other', 'O'],
      ]),
    );
  });

  for (const [name, hash] of Object.entries(HASHES)) {
    it(`agrees with a Map over random sets and deletes (${name} hash), old versions unchanged`, () => {
      const next = random(0x5eed + name.length);
      let map = PersistentMap.empty<string, number>(hash);
      const model = new Map<string, number>();
      const versions: Array<[PersistentMap<string, number>, Map<string, number>]> = [];
      for (let step = 0; step < 3_000; step++) {
        // A key space about the size of the map, so sets, overwrites and deletes all happen often.
        const key = `k${Math.floor(next() * 400)}`;
        if (next() < 0.55) {
          const value = Math.floor(next() * 5);
          map = map.set(key, value);
          model.set(key, value);
        } else {
          map = map.delete(key);
          model.delete(key);
        }
        expect(map.size).toBe(model.size);
        expect(map.get(key)).toBe(model.get(key));
        expect(map.has(key)).toBe(model.has(key));
        if (step % 250 === 0) {
          expectSame(map, model);
          versions.push([map, new Map(model)]);
        }
      }
      expectSame(map, model);
      for (const [key] of model) map = map.delete(key);
      expect(map.size).toBe(0);
      expect([...map]).toEqual([]);
      for (const [old, copy] of versions) expectSame(old, copy);
    });
  }
});
