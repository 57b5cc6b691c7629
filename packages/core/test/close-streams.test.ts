import { CoordinatorClosedError, connect } from '@tooz/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { memory, MemoryServer } from '../../testing/src/memory/index.js';

/**
 * Views end with the coordinator. On a backend without push, core drives them
 * with a poll timer: before close() stopped it, a README example hung for
 * ever, or crashed reading from the closed session.
 */
describe.each(['push', 'poll'] as const)('close() ends every view (%s backend)', (notifications) => {
  const open = (memberId: string) =>
    connect(memory({ server: new MemoryServer(), notifications }), { memberId, ttl: 1_000 });

  it('completes events$, members$ and leader$, without an error', async () => {
    const coordinator = await open('a');
    await coordinator.group('g').create();
    const events = lastValueFrom(coordinator.group('g').events$.pipe(toArray()));
    const members = lastValueFrom(coordinator.group('g').members$.pipe(toArray()));
    const leader = lastValueFrom(coordinator.leadership('l').leader$.pipe(toArray()));
    const watch = await coordinator.group('g').watch();
    const watched = lastValueFrom(watch.events$.pipe(toArray()));
    await coordinator.close();
    await expect(events).resolves.toEqual([]);
    expect((await members).length).toBeGreaterThan(0);
    await expect(leader).resolves.toEqual([null]);
    await expect(watched).resolves.toEqual([]);
  });

  it('completes a view subscribed after close() at once', async () => {
    const coordinator = await open('b');
    await coordinator.group('g').create();
    await coordinator.close();
    await expect(lastValueFrom(coordinator.group('g').events$.pipe(toArray()))).resolves.toEqual([]);
    await expect(coordinator.group('g').watch()).rejects.toBeInstanceOf(CoordinatorClosedError);
  });
});
