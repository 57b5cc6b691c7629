import { connect, Partitioner } from '@tooz/core';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { memory, MemoryServer } from '../../testing/src/memory/index.js';

const objects = Array.from({ length: 200 }, (_, i) => `object-${i}`);
const placements = (p: Partitioner) => objects.map((obj) => [...p.membersFor(obj, { replicas: 2 })].join(','));

describe('group.partitioner()', () => {
  it('derives each partitioner from the last, placing as one built from the members, leaving earlier ones as they were', async () => {
    const server = new MemoryServer();
    const watcher = await connect(memory({ server }), { memberId: 'watcher' });
    await watcher.group('g').create();
    const seen: Partitioner[] = [];
    const members: Array<ReadonlyMap<string, unknown>> = [];
    const watching = watcher
      .group('g')
      .partitioner({ partitions: 16 })
      .subscribe((p) => seen.push(p));
    const viewing = watcher.group('g').members$.subscribe((m) => members.push(m));
    const coordinators = [];
    const joined: Subscription[] = [];
    for (let i = 0; i < 12; i++) {
      const c = await connect(memory({ server }), { memberId: `m${i}` });
      coordinators.push(c);
      joined.push(
        c
          .group('g')
          .join({ weight: 1 + (i % 3) })
          .subscribe(),
      );
    }
    await coordinators[4]?.group('g').updateCapabilities({ weight: 5 });
    await coordinators[5]?.group('g').updateCapabilities({ weight: 1, zone: 'eu' });
    await coordinators[6]?.group('g').updateCapabilities({ weight: 1 });
    for (const i of [0, 7, 11]) joined[i]?.unsubscribe();
    await firstValueFrom(watcher.group('g').members$.pipe(filter((m) => m.size === 9 && !m.has('m11'))));

    // One partitioner per view, each placing as a ring built from scratch on that view's members.
    expect(seen.length).toBe(members.length);
    const expected = members.map((m) => placements(new Partitioner(m, 'watcher', { partitions: 16 })));
    expect(seen.map(placements)).toEqual(expected);
    expect(Object.fromEntries(seen.at(-1)?.members ?? [])).toEqual({
      m1: 2,
      m2: 3,
      m3: 1,
      m4: 5,
      m5: 1,
      m6: 1,
      m8: 3,
      m9: 1,
      m10: 2,
    });

    // What a user does to one partitioner's ring touches no other.
    const last = seen.at(-1) as Partitioner;
    const earlier = seen.at(-2) as Partitioner;
    const earlierPlaced = placements(earlier);
    last.ring.addNode('intruder', 50);
    expect(placements(earlier)).toEqual(earlierPlaced);
    joined[1]?.unsubscribe();
    await firstValueFrom(watcher.group('g').members$.pipe(filter((m) => !m.has('m1'))));
    expect(seen.at(-1)?.members.has('intruder')).toBe(false);
    expect(placements(seen.at(-1) as Partitioner)).toEqual(
      placements(new Partitioner(members.at(-1) as ReadonlyMap<string, unknown>, 'watcher', { partitions: 16 })),
    );

    // A late subscriber starts from the replayed view's members, not from its events.
    const late = await firstValueFrom(watcher.group('g').partitioner({ partitions: 16 }));
    expect(placements(late)).toEqual(placements(seen.at(-1) as Partitioner));

    watching.unsubscribe();
    viewing.unsubscribe();
    for (const subscription of joined) subscription.unsubscribe();
    for (const c of coordinators) await c.close();
    await watcher.close();
  });
});
