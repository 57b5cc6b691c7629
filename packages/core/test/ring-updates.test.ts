import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashRing } from '../src/hashring/index.js';
import { RingPoints } from '../src/hashring/ring-points.js';

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

const hex = (n: number) => createHash('md5').update(String(n)).digest('hex');

/** Every owner in point order, read through walk() from below the lowest point. */
function listed(points: RingPoints): string[] {
  const owners: string[] = [];
  points.walk('', (owner) => {
    owners.push(owner);
    return true;
  });
  return owners;
}

describe('RingPoints', () => {
  it('agrees with a sorted array over random inserts, owner changes and removals, old versions unchanged', () => {
    const next = random(7);
    let points = RingPoints.EMPTY;
    const model = new Map<string, string>();
    const versions: Array<[RingPoints, Map<string, string>]> = [];
    for (let step = 0; step < 400; step++) {
      // Batches of up to 40 distinct points out of 3,000: splits, merges and emptied chunks all happen.
      const batch = [
        ...new Set(Array.from({ length: 1 + Math.floor(next() * 40) }, () => hex(Math.floor(next() * 3_000)))),
      ].sort();
      if (next() < 0.6) {
        const owners = batch.map(() => `n${Math.floor(next() * 50)}`);
        points = points.with(batch, owners);
        for (const [i, point] of batch.entries()) model.set(point, owners[i] as string);
      } else {
        points = points.without(batch);
        for (const point of batch) model.delete(point);
      }
      expect(points.size).toBe(model.size);
      for (const point of batch) expect(points.ownerOf(point)).toBe(model.get(point));
      if (step % 40 === 0) versions.push([points, new Map(model)]);
    }
    for (const [old, copy] of versions) {
      const sorted = [...copy.keys()].sort();
      expect(old.size).toBe(copy.size);
      expect(listed(old)).toEqual(sorted.map((point) => copy.get(point)));
      for (const point of sorted) expect(old.ownerOf(point)).toBe(copy.get(point));
    }
  });

  it('walks clockwise from the first point above, wrapping once round', () => {
    const points = RingPoints.EMPTY.with(['b', 'd', 'f'], ['B', 'D', 'F']);
    const from = (start: string, limit = 10) => {
      const seen: string[] = [];
      points.walk(start, (owner) => seen.push(owner) < limit);
      return seen.join('');
    };
    expect(from('a')).toBe('BDF');
    expect(from('b')).toBe('DFB');
    expect(from('e')).toBe('FBD');
    expect(from('z')).toBe('BDF');
    expect(from('c', 2)).toBe('DF');
    expect(points.without(['b', 'x']).size).toBe(2);
    expect(points.without(['x'])).toBe(points);
    expect(points.with(['d'], ['Z']).ownerOf('d')).toBe('Z');
    expect(points.ownerOf('d')).toBe('D');
  });
});

describe('HashRing: incremental updates', () => {
  /** A ring built from scratch with the model's members. */
  const rebuilt = (model: ReadonlyMap<string, number>, partitions: number) => {
    const ring = new HashRing([], { partitions });
    for (const [node, weight] of model) ring.addNode(node, weight);
    return ring;
  };
  const placements = (ring: HashRing) =>
    Array.from({ length: 60 }, (_, i) => [...ring.getNodes(`object-${i}`, { replicas: 3 })].join(','));

  it('places data as a ring rebuilt from scratch after each join, leave and re-weighting', () => {
    const next = random(21);
    const partitions = 8;
    const ring = new HashRing([], { partitions });
    const model = new Map<string, number>();
    const clones: Array<[HashRing, string[], number]> = [];
    // 300 nodes of 8 points or more: a few thousand points, so most updates touch only some chunks.
    for (let i = 0; i < 300; i++) {
      ring.addNode(`node-${i}`, 1);
      model.set(`node-${i}`, 1);
    }
    for (let step = 0; step < 300; step++) {
      const node = `node-${Math.floor(next() * 400)}`;
      const weight = model.get(node);
      const roll = next();
      if (weight === undefined) {
        const added = 1 + Math.floor(next() * 3);
        ring.addNode(node, added);
        model.set(node, added);
      } else if (roll < 0.5) {
        ring.removeNode(node);
        model.delete(node);
      } else {
        // A weight change, as group.partitioner() makes it: remove, then add with the new weight.
        const changed = weight === 3 ? 1 : weight + 1;
        ring.removeNode(node);
        ring.addNode(node, changed);
        model.set(node, changed);
      }
      if (step % 30 === 0) {
        const fresh = rebuilt(model, partitions);
        expect(ring.size).toBe(fresh.size);
        expect(Object.fromEntries(ring.nodes)).toEqual(Object.fromEntries(model));
        expect(placements(ring)).toEqual(placements(fresh));
        clones.push([ring.clone(), placements(ring), ring.size]);
      }
    }
    for (const [clone, placed, size] of clones) {
      expect(clone.size).toBe(size);
      expect(placements(clone)).toEqual(placed);
    }
  });

  it('keeps a clone independent of its original in both directions', () => {
    const ring = new HashRing(['a', 'b', 'c']);
    const before = placements(ring);
    const copy = ring.clone();
    copy.addNode('d', 2);
    ring.removeNode('a');
    const withD = new HashRing(['a', 'b', 'c']);
    withD.addNode('d', 2);
    expect(placements(copy)).toEqual(placements(withD));
    expect(Object.fromEntries(copy.nodes)).toEqual({ a: 1, b: 1, c: 1, d: 2 });
    expect(Object.fromEntries(ring.nodes)).toEqual({ b: 1, c: 1 });
    expect(placements(ring)).toEqual(placements(new HashRing(['b', 'c'])));
    expect(placements(ring.clone())).not.toEqual(before);
  });

  it('empties and refills a large ring', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => `n${i}`);
    const ring = new HashRing(nodes, { partitions: 4 });
    for (const node of nodes.slice(0, 190)) ring.removeNode(node);
    expect(ring.size).toBe(40);
    expect(placements(ring)).toEqual(placements(new HashRing(nodes.slice(190), { partitions: 4 })));
    for (const node of nodes.slice(0, 190)) ring.addNode(node);
    expect(placements(ring)).toEqual(placements(new HashRing(nodes, { partitions: 4 })));
    for (const node of nodes) ring.removeNode(node);
    expect(ring.size).toBe(0);
    expect(ring.getNodes('x').size).toBe(0);
  });
});
