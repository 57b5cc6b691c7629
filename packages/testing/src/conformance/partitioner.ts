import type { Partitioner } from '@tooz/core';
import type { Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type ConformanceTarget, harness, joined } from './harness.js';

/** The partitioner follows membership and places objects identically on every member. */
export function partitionerConformance(target: ConformanceTarget): void {
  describe.skipIf(!target.capabilities.primitives.groups)('partitioner', () => {
    const h = harness(target);

    it('follows membership, with weights from capabilities, and agrees across members', async () => {
      const coordinators = await Promise.all([h.coordinator(), h.coordinator(), h.coordinator(), h.coordinator()]);
      const [a] = coordinators;
      if (!a) throw new Error('unreachable');
      const id = h.id('group');
      await a.group(id).create();
      const memberships: Subscription[] = [];
      for (const [i, c] of coordinators.entries()) {
        memberships.push(await joined(c.group(id).join({ weight: i === 0 ? 5 : 10 })));
      }
      const partitioners: Partitioner[] = [];
      for (const c of coordinators) {
        partitioners.push(await h.next(c.group(id).partitioner(), (p) => p.members.size === 4, 'a 4-member ring'));
      }
      const first = partitioners[0];
      if (!first) throw new Error('unreachable');
      expect(first.members.get(a.memberId)).toBe(5);
      expect(first.ring.size).toBe(32 * (5 + 10 * 3));
      for (const object of ['чупакабра', 'chupacabra', 42, 'object-1']) {
        const owners = first.membersFor(object);
        expect(owners.size).toBe(1);
        const [owner] = owners;
        for (const [i, p] of partitioners.entries()) {
          expect(p.membersFor(object)).toEqual(owners);
          expect(p.belongsToSelf(object)).toBe(coordinators[i]?.memberId === owner);
          expect(p.belongsTo(object, owner ?? '')).toBe(true);
        }
      }
      memberships[3]?.unsubscribe();
      const shrunk = await h.next(a.group(id).partitioner(), (p) => p.members.size === 3, 'a 3-member ring');
      expect(shrunk.members.has(coordinators[3]?.memberId ?? '')).toBe(false);
      for (const m of memberships) m.unsubscribe();
    });
  });
}
