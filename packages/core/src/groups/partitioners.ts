import { defer, map, type Observable, type OperatorFunction } from 'rxjs';
import { DEFAULT_PARTITIONS, type HashRing } from '../hashring/hash-ring.js';
import { Partitioner, partitionerOver, weightOf } from '../hashring/partitioner.js';
import type { MembershipEvent } from './events.js';
import type { GroupView } from './group-view.js';

/** Moves one member's points as Python tooz's Partitioner does on join and leave; a weight change is both. */
function applyEvent(ring: HashRing, event: MembershipEvent): void {
  const known = ring.nodes.get(event.memberId);
  if (event.type === 'left') {
    if (known !== undefined) ring.removeNode(event.memberId);
    return;
  }
  const weight = weightOf(event.capabilities);
  if (known === weight) return;
  // Re-adding with a lower weight would leave the old extra points behind (tooz's addNode rule).
  if (known !== undefined) ring.removeNode(event.memberId);
  ring.addNode(event.memberId, weight);
}

/**
 * One Partitioner per view: the first built from the view's members, each
 * later one from the previous ring plus the view's events, so a change costs
 * the changed member's points, not a rebuild. Each emitted Partitioner gets
 * its own O(1) clone of the ring: what a user does to one changes no other.
 */
export function partitioners(self: string, partitions = DEFAULT_PARTITIONS): OperatorFunction<GroupView, Partitioner> {
  return (view$: Observable<GroupView>) =>
    defer(() => {
      let ring: HashRing | undefined;
      return view$.pipe(
        map((view) => {
          if (ring === undefined) ring = new Partitioner(view.members, self, { partitions }).ring.clone();
          else for (const event of view.events) applyEvent(ring, event);
          return partitionerOver(ring.clone(), self);
        }),
      );
    });
}
